import { describe, expect, it } from 'vitest';
import { adversaryPlan } from '../../../main/shells/cli/commands/adversary';

describe('tandem adversary: what it is asked to be', () => {
  it('takes one kind, its victims and seed', () => {
    expect(adversaryPlan({ kind: 'mixer', victims: '3, 5', seed: '7' })).toEqual({ kind: 'mixer', victims: [3, 5], seed: 7, windows: null });
    expect(adversaryPlan({ kind: 'lazy', seed: '1', windows: '4' })).toEqual({ kind: 'lazy', victims: [], seed: 1, windows: 4 });
  });

  it('refuses, in one line each, a kind it does not know, two kinds, victims missing or malformed, a bad seed or window count', () => {
    expect(() => adversaryPlan({ kind: 'thief', seed: '1' })).toThrow(/unknown adversary "thief"/);
    expect(() => adversaryPlan({ kind: 'lazy,late', seed: '1' })).toThrow(/one kind per process/);
    expect(() => adversaryPlan({ kind: 'free-rider', seed: '1' })).toThrow(/name its victim with --victims <uid>/);
    expect(() => adversaryPlan({ kind: 'mixer', victims: '3', seed: '1' })).toThrow(/name its 2 victims/);
    expect(() => adversaryPlan({ kind: 'free-rider', victims: 'alice', seed: '1' })).toThrow(/--victims alice: uids/);
    expect(() => adversaryPlan({ kind: 'noise', seed: '-1' })).toThrow(/--seed -1/);
    expect(() => adversaryPlan({ kind: 'noise', seed: '1', windows: '0' })).toThrow(/--windows 0/);
  });

  it('sends the colluding pair, which is one process by design, to a free-rider on its worker', () => {
    expect(() => adversaryPlan({ kind: 'colluders', seed: '1' })).toThrow(/--kind free-rider --victims <the worker.s uid>/);
  });
});
