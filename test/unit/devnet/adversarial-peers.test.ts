import { describe, expect, it } from 'vitest';
import { adversarySamplerId, negatedAndScaled, noiseOfSameNorm, parseAdversaryKinds, POISON_SCALE } from '../../../main/devnet/adversarial-peers';
import { testNeuron } from '../../support/test-neuron';
import { aggregationCandidates } from '../../../main/services/round/aggregation-peers';

const norm = (d: Float32Array) => Math.sqrt(d.reduce((s, v) => s + v * v, 0));

describe('adversarial peers', () => {
  const update = [{ name: 'w', shape: [2, 4], data: Float32Array.from([0, 0.5, 0, -0.25, 0, 0, 1, 0]) }];

  it('the poisoner sends its update negated and scaled', () => {
    const [t] = negatedAndScaled(update);
    // (+ 0 turns the −0 of negated zeros into 0.)
    expect([...t!.data].map((v) => v + 0)).toEqual([0, -0.5, 0, 0.25, 0, 0, -1, 0].map((v) => v * POISON_SCALE + 0));
  });

  it('the noise peer sends random values of the same norm on the same coordinates', () => {
    const [t] = noiseOfSameNorm(update);
    expect([0, 2, 4, 5, 7].map((i) => t!.data[i])).toEqual([0, 0, 0, 0, 0]);
    expect(norm(t!.data)).toBeCloseTo(norm(update[0]!.data), 5);
    expect([...t!.data]).not.toEqual([...update[0]!.data]);
  });

  it('the lazy peer samples data nobody assigned it; flags are checked', () => {
    expect(adversarySamplerId('lazy', 7)).not.toBe('7');
    expect(adversarySamplerId('noise', 7)).toBe('7');
    expect(adversarySamplerId(undefined, 7)).toBe('7');
    expect(parseAdversaryKinds('late, poisoner')).toEqual(['late', 'poisoner']);
    expect(() => parseAdversaryKinds('late,sneaky')).toThrow(/unknown adversary "sneaky"/);
  });
});

describe('aggregation candidates', () => {
  const neuron = (uid: number, incentive: number, validatorPermit = false) => testNeuron(uid, { incentive, validatorPermit });

  it('every miner before any weights, in uid order', () => {
    expect(aggregationCandidates([neuron(2, 0), neuron(0, 0), neuron(1, 0, true)]).map((n) => n.uid)).toEqual([0, 2]);
  });

  it('once weighted, only miners with incentive, best first', () => {
    const graph = [neuron(0, 0.2), neuron(1, 0), neuron(2, 0.5), neuron(3, 0.3), neuron(4, 0, true)];
    expect(aggregationCandidates(graph).map((n) => n.uid)).toEqual([2, 3, 0]);
    expect(aggregationCandidates(graph, 2).map((n) => n.uid)).toEqual([3, 0]);
  });
});
