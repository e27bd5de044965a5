import path from 'node:path';
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATING_POLICY, RatingBook } from '../../../main/services/validator/rating-book';
import { seededRandom } from '../../../main/core/seeded-random';
import { batchImprovements, gauntlet, standardErrorOfDifference } from '../../../main/services/validator/score-components';
import { scoreWindow, type PeerWindowScore, type ScoringPolicy } from '../../../main/services/validator/window-score';
import { makeTempDir } from '../../support/temp-dir';

const policy: ScoringPolicy = { globalDigest: 'g1', maxStepsBehind: 0, minAssignmentGap: 0 };

// own (4 − 3.6)/4 = 0.1, random (4 − 3.596)/4 = 0.101: a gap of −0.001 either way.
const slightlyNegative = { ownBefore: 4, ownAfter: 3.6, randomBefore: 4, randomAfter: 3.596 };
// Per-batch spreads. The gap leaves each set's best quarter out (here 1 of 4 batches): the wide set keeps
// [−0.004, −0.002, 0.002], winsorized [−0.004, −0.002, 0.002, 0.002]: variance 27e-6 / 3 = 9e-6, standard error
// 0.003 / (3/4 × √4) = 0.002 for each set, √2 × 0.002 for the gap. The tight one's is 100× less.
const wide = [0.002, -0.002, 0.004, -0.004];
const tight = wide.map((v) => v / 100);

describe('assignment gap with a per-batch spread', () => {
  it('per-batch improvements and the standard error of a difference of means', () => {
    expect(batchImprovements([4, 2], [3, 2.5])).toEqual([0.25, -0.25]);
    expect(batchImprovements([4], [3, 2])).toBeUndefined();
    // var([1,2,3]) = 1 over 3 values, var([2,4]) = 2 over 2: √(1/3 + 1) ≈ 1.1547
    expect(standardErrorOfDifference([1, 2, 3], [2, 4])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(standardErrorOfDifference([1], [2, 4])).toBeNaN();
  });

  it('a negative gap within the noise is no not-own-data flag; the same gap with a tight spread is', () => {
    const noisy = gauntlet({ ...slightlyNegative, batches: { own: wide, random: wide } });
    expect(noisy.assignmentGap).toBeCloseTo(-0.001, 12);
    expect(noisy.assignmentStdError).toBeCloseTo(Math.SQRT2 * 0.002, 12);
    expect(noisy.assignmentZ).toBeCloseTo(-0.001 / (Math.SQRT2 * 0.002), 9);
    expect(noisy.trainedOnAssignment).toBe(false);
    expect(noisy.notOwnData).toBe(false);

    const clear = gauntlet({ ...slightlyNegative, batches: { own: tight, random: tight } });
    expect(clear.assignmentZ).toBeLessThan(-10);
    expect(clear.notOwnData).toBe(true);
  });

  it("leaves each set's best quarter of batches out: a part-timer's gap, carried by a few batches, is mostly gone", () => {
    // Both improve their own batches by 0.06 on average and the random ones by 0.05: the same plain gap, 0.01.
    const random = [0.049, 0.051, 0.048, 0.052, 0.05, 0.05, 0.047, 0.053];
    const measured = { ownBefore: 1, ownAfter: 0.94, randomBefore: 1, randomAfter: 0.95 };
    // The honest update improves each of its 8 batches by about 0.06; the part-timer trained 2 of them (0.09 each).
    const honest = gauntlet({ ...measured, batches: { own: [0.058, 0.062, 0.059, 0.061, 0.06, 0.06, 0.057, 0.063], random } });
    const partTime = gauntlet({ ...measured, batches: { own: [0.09, 0.09, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05], random } });
    // Best 2 of 8 left out: honest 0.059167 − 0.049167 = 0.01, as before; part-timer 0.05 − 0.049167 = 0.000833.
    expect(honest.assignmentGap).toBeCloseTo(0.01, 12);
    expect(partTime.assignmentGap).toBeCloseTo(0.05 - 0.295 / 6, 12);
    expect(honest.assignmentZ!).toBeGreaterThan(5);
    expect(partTime.assignmentZ!).toBeLessThan(honest.assignmentZ! / 5);
  });

  it('with one batch a set there is nothing to leave out: the plain gap, judged by its sign', () => {
    const verdict = gauntlet({ ...slightlyNegative, batches: { own: [0.1], random: [0.101] } });
    expect(verdict.assignmentGap).toBeCloseTo(-0.001, 12);
    expect(verdict.assignmentStdError).toBeNaN();
    expect(verdict.notOwnData).toBe(true);
  });

  it('without a spread the gap is judged by its sign, as before', () => {
    const verdict = gauntlet(slightlyNegative);
    expect(verdict.assignmentStdError).toBeNaN();
    expect(verdict.assignmentZ).toBeUndefined();
    expect(verdict.notOwnData).toBe(true);
  });

  it('the window score: a noisy negative gap scores it (≤ 0) unflagged and passes its z on', () => {
    const noisy = scoreWindow({ uid: 3, present: true, onTime: true, valid: true, losses: { ...slightlyNegative, batches: { own: wide, random: wide } } }, policy);
    expect(noisy.flags).toEqual([]);
    expect(noisy.score).toBeCloseTo(-0.001, 12);
    expect(noisy.assignmentZ).toBeCloseTo(-0.354, 3);
    const clear = scoreWindow({ uid: 3, present: true, onTime: true, valid: true, losses: { ...slightlyNegative, batches: { own: tight, random: tight } } }, policy);
    expect(clear.flags).toEqual(['not-own-data']);
    // A stricter confidence level lets the tight gap pass as noise too.
    const lenient = scoreWindow({ uid: 3, present: true, onTime: true, valid: true, losses: { ...slightlyNegative, batches: { own: tight, random: tight } } }, { ...policy, assignmentConfidenceZ: 50 });
    expect(lenient.flags).toEqual([]);
  });
});

/** A window of evaluated peers with the given gap z-scores (score: the sign of z, as the gap's). */
const windowOf = (zs: Record<number, number>): PeerWindowScore[] =>
  Object.entries(zs).map(([uid, z]) => ({ uid: Number(uid), score: z * 1e-4, flags: [], assignmentZ: z }));

describe('assignment evidence across windows (RatingBook)', () => {
  it('a noisy but honest peer is not penalised for three negative gaps in a row', () => {
    // Peer 2's gap is above 0 on average (mean z ≈ 0.8) but negative in windows 2–4.
    const honestZ = [2.1, -0.8, -0.3, -1.2, 1.9, 0.4, 2.5, -0.6, 1.1, 3.0, -0.5, 1.6];
    const book = new RatingBook();
    honestZ.forEach((z, i) => book.recordWindow(i + 1, windowOf({ 1: 2, 2: z })));
    expect(book.peer(2).penalties).toBe(0);
    expect(book.weights(13).has(2)).toBe(true);
    // The same windows judged by sign alone (no spread: flagged) are penalised at the third.
    const signOnly = new RatingBook();
    honestZ.forEach((z, i) => signOnly.recordWindow(i + 1, [{ uid: 1, score: 2e-4, flags: [] }, z > 0 ? { uid: 2, score: z * 1e-4, flags: [] } : { uid: 2, score: z * 1e-4, flags: ['not-own-data'] }]));
    expect(signOnly.peer(2).penalties).toBe(1);
  });

  it('a peer whose gap hovers at 0 (lazy) builds evidence about the allowance a window and is penalised', () => {
    // Eleven windows' z, mean −0.05, repeated: each adds 0.25 − z, never below 0.
    const lazyZ = [0.3, -0.4, 0.1, -0.2, 0.5, -0.6, 0.0, 0.2, -0.3, 0.4, -0.6];
    const zOf = (w: number) => lazyZ[(w - 1) % lazyZ.length] as number;
    // The first round: 0 (max 0), 0.65, 0.8, 1.25, 1.0, 1.85, 2.1, 2.15, 2.7, 2.55, 3.4. The sum stays above 0 after
    // it, so each later round adds all of 11 × 0.25 + 0.6 = 3.35: 6.75 at 22, 10.1 at 33 (9.25 at 32, before its 0.85).
    const book = new RatingBook();
    for (let w = 1; w <= 11; w++) book.recordWindow(w, windowOf({ 1: 2, 2: zOf(w) }));
    expect(book.peer(2).assignmentEvidence).toBeCloseTo(3.4, 9);
    for (let w = 12; w <= 32; w++) book.recordWindow(w, windowOf({ 1: 2, 2: zOf(w) }));
    expect(book.peer(2).penalties).toBe(0);
    expect(book.peer(2).assignmentEvidence).toBeCloseTo(9.25, 9);
    book.recordWindow(33, windowOf({ 1: 2, 2: zOf(33) }));
    expect(book.peer(2).penalties).toBe(1);
    expect(book.isPenalized(2, 34)).toBe(true);
    expect(book.peer(2).assignmentEvidence).toBe(0);
    expect(book.peer(1).penalties).toBe(0);
  });

  it('an honest peer whose z averages the former allowance (0.5) is rarely penalised; it was often', () => {
    // 1000 windows of z ~ N(0.5, 1), seeded. At the former allowance 0.5 the sum had no drift and reached the former
    // bar 6 every fifty windows or so; now it drifts down 0.25 a window toward 0 and the bar is 10 (over 200 seeds
    // of this test: 0 to 3 penalties now, 11 to 30 before).
    const random = seededRandom(21);
    const zs = Array.from({ length: 1000 }, () => 0.5 + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    const now = new RatingBook();
    const former = new RatingBook({ ...DEFAULT_RATING_POLICY, assignmentAllowance: 0.5, assignmentEvidenceForPenalty: 6 });
    zs.forEach((z, i) => {
      now.recordWindow(i + 1, windowOf({ 1: 2, 2: z }));
      former.recordWindow(i + 1, windowOf({ 1: 2, 2: z }));
    });
    expect(now.peer(2).penalties).toBeLessThanOrEqual(3);
    expect(former.peer(2).penalties).toBeGreaterThanOrEqual(10);
  });

  it('a consistently negative gap is penalised within three or four windows, but no single window (nor two) decides', () => {
    const book = new RatingBook();
    book.recordWindow(1, windowOf({ 1: 2, 2: -3, 3: -50 }));
    // z is clipped to −assignmentMaxZ (4): 0.25 + 4 = 4.25 a window at most.
    expect(book.peer(3).assignmentEvidence).toBeCloseTo(DEFAULT_RATING_POLICY.assignmentAllowance + DEFAULT_RATING_POLICY.assignmentMaxZ, 12);
    book.recordWindow(2, windowOf({ 1: 2, 2: -3, 3: -50 }));
    expect(book.peer(3).penalties).toBe(0); // 8.5
    book.recordWindow(3, windowOf({ 1: 2, 2: -3, 3: -50 }));
    expect(book.peer(3).penalties).toBe(1); // 12.75 ≥ 10
    expect(book.peer(2).penalties).toBe(0); // 3 × 3.25 = 9.75
    book.recordWindow(4, windowOf({ 1: 2, 2: -3 }));
    expect(book.peer(2).penalties).toBe(1); // 13
  });

  it('a clearly positive gap wipes out earlier doubt', () => {
    const book = new RatingBook();
    book.recordWindow(1, windowOf({ 1: 2, 2: -2 }));
    expect(book.peer(2).assignmentEvidence).toBeCloseTo(2.25, 12);
    book.recordWindow(2, windowOf({ 1: 2, 2: 3.5 }));
    expect(book.peer(2).assignmentEvidence).toBe(0);
  });

  it('a ratings file saved before the evidence existed loads with none', async () => {
    const temp = makeTempDir();
    try {
      const file = path.join(temp.dir, 'ratings.json');
      const old = { uid: 2, mu: 26, sigma: 8, negativeStreak: 1, missedStreak: 0, penalizedUntil: 0, penalties: 0, windowsScored: 3, lastScore: 0.01, lastFlags: [] };
      await fs.writeFile(file, JSON.stringify({ version: 1, lastWindow: 3, peers: [old] }));
      const book = await RatingBook.load(file);
      expect(book.peer(2).assignmentEvidence).toBe(0);
      expect(book.peer(2).negativeStreak).toBe(1);
    } finally {
      temp.cleanup();
    }
  });
});
