import { describe, expect, it } from 'vitest';
import { gauntlet, inSync, relativeImprovement } from '../../../main/services/validator/score-components';
import { scoreWindow, type ScoringPolicy } from '../../../main/services/validator/window-score';

const policy: ScoringPolicy = { globalDigest: 'g1', maxStepsBehind: 0, minAssignmentGap: 0 };

describe('score components', () => {
  it('relative improvement: (before − after) / before', () => {
    expect(relativeImprovement(4, 3)).toBe(0.25); // (4−3)/4
    expect(relativeImprovement(2, 2.5)).toBe(-0.25); // (2−2.5)/2
    expect(relativeImprovement(0, 1)).toBeNaN();
    expect(relativeImprovement(Number.NaN, 1)).toBeNaN();
  });

  it('gauntlet: honest update helps its own data more than random data', () => {
    // own: (3.0−2.7)/3.0 = 0.1 ; random: (3.0−2.91)/3.0 = 0.03 ; gap = 0.07
    const honest = gauntlet({ ownBefore: 3, ownAfter: 2.7, randomBefore: 3, randomAfter: 2.91 });
    expect(honest.quality).toBeCloseTo(0.03, 12);
    expect(honest.assignmentGap).toBeCloseTo(0.07, 12);
    expect(honest.trainedOnAssignment).toBe(true);
    // lazy: trained on random data, so own ≈ random: own 0.03, random 0.03 → gap 0
    const lazy = gauntlet({ ownBefore: 3, ownAfter: 2.91, randomBefore: 3, randomAfter: 2.91 });
    expect(lazy.trainedOnAssignment).toBe(false);
  });

  it('gauntlet with a control: batch difficulty is taken out of the gap', () => {
    // own (4−3.6)/4 = 0.1, random (4−3.8)/4 = 0.05: raw gap 0.05.
    // Other updates improve this peer's batches by 0.08 and the random ones by 0.05:
    // its batches are simply easier (control gap 0.03), so the update's own gap is 0.05 − 0.03 = 0.02.
    const honest = gauntlet({ ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8, control: { own: 0.08, random: 0.05 } });
    expect(honest.assignmentGap).toBeCloseTo(0.02, 12);
    expect(honest.trainedOnAssignment).toBe(true);
    // A lazy update helps those easy batches exactly as much as the others do: gap 0.
    const lazy = gauntlet({ ownBefore: 4, ownAfter: 3.68, randomBefore: 4, randomAfter: 3.8, control: { own: 0.08, random: 0.05 } });
    expect(lazy.assignmentGap).toBeCloseTo(0, 12);
    expect(lazy.trainedOnAssignment).toBe(false);
  });

  it("gauntlet: the work share is the update's improvement of unseen data over the controls' on the same batches", () => {
    // Controls improve the random batches by 0.05. A full window's update: random (4−3.8)/4 = 0.05 → work 1.
    const full = gauntlet({ ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8, control: { own: 0.08, random: 0.05 } });
    expect(full.work).toBeCloseTo(1, 12);
    // A quarter of the steps: random (4−3.95)/4 = 0.0125 → a quarter of the work, though its own batches gained as much.
    const partTime = gauntlet({ ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.95, control: { own: 0.08, random: 0.05 } });
    expect(partTime.work).toBeCloseTo(0.25, 12);
    expect(partTime.assignmentGap).toBeGreaterThan(full.assignmentGap);
    // More than the controls is still one share (the runs pays a window's assignment), and harm is none.
    expect(gauntlet({ ownBefore: 4, ownAfter: 3.5, randomBefore: 4, randomAfter: 3.7, control: { own: 0.08, random: 0.05 } }).work).toBe(1);
    expect(gauntlet({ ownBefore: 4, ownAfter: 4.2, randomBefore: 4, randomAfter: 4.1, control: { own: 0.08, random: 0.05 } }).work).toBe(0);
    // Without controls, or controls that did not improve the random batches, there is nothing to compare with.
    expect(gauntlet({ ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8 }).work).toBeUndefined();
    expect(gauntlet({ ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8, control: { own: 0, random: -0.01 } }).work).toBeUndefined();
  });

  it('sync check', () => {
    expect(inSync({ peerDigest: 'g1', stepsBehind: 0 }, 'g1', 0)).toBe(true);
    expect(inSync({ peerDigest: 'old', stepsBehind: 30 }, 'g1', 0)).toBe(false);
    expect(inSync({ peerDigest: 'old', stepsBehind: 30 }, 'g1', 30)).toBe(true);
  });
});

describe('window score', () => {
  const honestLosses = { ownBefore: 3, ownAfter: 2.7, randomBefore: 3, randomAfter: 2.91 };

  it('credits a clean update with its assignment gap', () => {
    // own 0.1 − random 0.03 = 0.07
    const s = scoreWindow({ uid: 1, present: true, onTime: true, valid: true, losses: honestLosses, sync: { peerDigest: 'g1', stepsBehind: 0 } }, policy);
    expect(s.flags).toEqual([]);
    expect(s.score).toBeCloseTo(0.07, 12);
  });

  it('scores a part-timer by the work it did: its gap times its work share', () => {
    const control = { own: 0.08, random: 0.05 };
    const full = scoreWindow({ uid: 1, present: true, onTime: true, valid: true, losses: { ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8, control } }, policy);
    const partTime = scoreWindow({ uid: 2, present: true, onTime: true, valid: true, losses: { ownBefore: 4, ownAfter: 3.5, randomBefore: 4, randomAfter: 3.95, control } }, policy);
    // full: gap (0.1 − 0.05) − 0.03 = 0.02, work 1. part-timer: gap (0.125 − 0.0125) − 0.03 = 0.0825, work 0.25.
    expect(full.score).toBeCloseTo(0.02, 12);
    expect(full.work).toBeCloseTo(1, 12);
    expect(partTime.score).toBeCloseTo(0.0825 * 0.25, 12);
    expect(partTime.work).toBeCloseTo(0.25, 12);
    // A flagged update did no work that counts.
    const late = scoreWindow({ uid: 3, present: true, onTime: false, valid: true, losses: { ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.8, control } }, policy);
    expect(late.work).toBe(0);
  });

  it('a peer out of sync by digest but within the allowed steps is in sync', () => {
    const s = scoreWindow({ uid: 1, present: true, onTime: true, valid: true, losses: honestLosses, sync: { peerDigest: 'other', stepsBehind: 20 } }, { ...policy, maxStepsBehind: 20 });
    expect(s.flags).toEqual([]);
  });

  it.each([
    ['missing', { present: false, onTime: false, valid: false }, ['missing'], 0],
    ['late', { present: true, onTime: false, valid: true, losses: honestLosses }, ['late'], 0],
    ['copied', { present: true, onTime: true, valid: true, losses: honestLosses, copiedFrom: 4 }, ['copied'], 0],
    ['desynced', { present: true, onTime: true, valid: true, losses: honestLosses, sync: { peerDigest: 'x', stepsBehind: 60 } }, ['desynced'], 0],
    // poisoner: random loss 3 → 3.3: quality −0.1 ; own 3 → 3.3 too: gap 0 → not own data
    ['poisoner', { present: true, onTime: true, valid: true, losses: { ownBefore: 3, ownAfter: 3.3, randomBefore: 3, randomAfter: 3.3 } }, ['harmful', 'not-own-data'], -0.1],
  ])('%s', (_name, input, flags, score) => {
    const s = scoreWindow({ uid: 7, ...input }, policy);
    expect(s.flags).toEqual(flags);
    expect(s.score).toBeCloseTo(score as number, 12);
  });
});
