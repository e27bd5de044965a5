import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peersToEvaluate } from '../../../main/services/validator/peer-selection';
import { DEFAULT_RATING_POLICY, RatingBook } from '../../../main/services/validator/rating-book';
import type { PeerWindowScore } from '../../../main/services/validator/window-score';
import { makeTempDir } from '../../support/temp-dir';

const clean = (uid: number, score: number): PeerWindowScore => ({ uid, score, flags: [] });

describe('RatingBook', () => {
  it('ranks by score across windows and gives the better peers more weight', () => {
    const book = new RatingBook();
    for (let w = 1; w <= 6; w++) book.recordWindow(w, [clean(1, 0.03), clean(2, 0.02), clean(3, 0.01)]);
    expect(book.ordinalOf(1)).toBeGreaterThan(book.ordinalOf(2));
    expect(book.ordinalOf(2)).toBeGreaterThan(book.ordinalOf(3));
    const weights = book.weights(7);
    expect([...weights.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(weights.get(1)!).toBeGreaterThan(weights.get(2)!);
    expect(weights.get(2)!).toBeGreaterThan(weights.get(3)!);
  });

  it('penalises a copy at once: no weight for penaltyWindows, and a lower rating', () => {
    const book = new RatingBook();
    book.recordWindow(1, [clean(1, 0.03), clean(2, 0.03)]);
    const before = book.peer(2).mu;
    book.recordWindow(2, [clean(1, 0.03), { uid: 2, score: 0, flags: ['copied'] }]);
    // Penalised from window 2: no weight through window 2 + penaltyWindows (5) = 7, back at 8.
    expect(book.isPenalized(2, 7)).toBe(true);
    expect(book.isPenalized(2, 8)).toBe(false);
    expect(book.weights(3).has(2)).toBe(false);
    expect(book.peer(2).penalties).toBe(1);
    expect(book.peer(2).mu).toBeLessThan(before - DEFAULT_RATING_POLICY.penaltyMu + 1);
  });

  it('sums the copy evidence of ties across windows: a copier that keeps copying is penalised, its victim never', () => {
    const book = new RatingBook();
    // Each window the tie says 1.5 standard errors that uid 2 copied uid 1, and −1.5 that uid 1 copied uid 2.
    let penalisedAt: number | null = null;
    for (let w = 1; w <= 12; w++) {
      book.recordWindow(w, [{ ...clean(1, 0.01), tieZ: -1.5 }, { ...clean(2, 0.01), tieZ: 1.5 }, clean(3, 0.01)]);
      if (penalisedAt === null && book.peer(2).penalties > 0) penalisedAt = w;
    }
    // 1.5 − the allowance (0.5) a window: 6 after six windows.
    expect(penalisedAt).toBe(6);
    expect(book.peer(1).penalties).toBe(0);
    expect(book.peer(1).copyEvidence).toBe(0);
    // A tie now and then that looks bad by chance does not add up.
    const chance = new RatingBook();
    for (let w = 1; w <= 40; w++) chance.recordWindow(w, [{ ...clean(1, 0.01), tieZ: w % 4 === 0 ? 2 : -1 }]);
    expect(chance.peer(1).penalties).toBe(0);
  });

  it('penalises repeated non-positive scores only after the streak length', () => {
    const book = new RatingBook();
    const useless = (uid: number): PeerWindowScore => ({ uid, score: 0, flags: ['not-own-data'] });
    book.recordWindow(1, [clean(1, 0.02), useless(2)]);
    book.recordWindow(2, [clean(1, 0.02), useless(2)]);
    expect(book.peer(2).penalties).toBe(0);
    book.recordWindow(3, [clean(1, 0.02), useless(2)]);
    expect(book.peer(2).penalties).toBe(1);
    expect(book.peer(1).penalties).toBe(0);
  });

  it('a harmful update is penalised at once', () => {
    const book = new RatingBook();
    book.recordWindow(1, [clean(1, 0.02), { uid: 2, score: -0.01, flags: ['harmful'] }]);
    expect(book.peer(2).penalties).toBe(1);
    expect(book.weights(2).has(2)).toBe(false);
  });

  it('registered peers not rated yet get the starting rating; peers only seen missing get nothing', () => {
    // The softmax alone, without the even share for proven peers.
    const book = new RatingBook({ ...DEFAULT_RATING_POLICY, ratedShare: 0 });
    book.recordWindow(1, [clean(1, 0.02), clean(2, 0.01), { uid: 3, score: 0, flags: ['missing'] }]);
    const weights = book.weights(2, [1, 2, 3, 4]);
    expect([...weights.keys()].sort()).toEqual([1, 2, 4]);
    // Newcomer 4 has ordinal 25 − 3 × 25/3 = 0, like a peer before its first window.
    const top = book.ordinalOf(1);
    expect(weights.get(4)! / weights.get(1)!).toBeCloseTo(Math.exp((0 - top) / DEFAULT_RATING_POLICY.temperature), 6);
    expect([...weights.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('splits the rated share evenly among peers rated above a newcomer; the rest by softmax', () => {
    const windows = (book: RatingBook) => {
      for (let w = 1; w <= 8; w++) book.recordWindow(w, [clean(1, 0.04), clean(2, 0.02), clean(3, 0.01), clean(4, 0.001)]);
    };
    const softmaxOnly = new RatingBook({ ...DEFAULT_RATING_POLICY, ratedShare: 0 });
    windows(softmaxOnly);
    const book = new RatingBook();
    windows(book);
    // After 8 windows the three best are rated above a newcomer (ordinal 0), the last below.
    expect(book.ordinalOf(3)).toBeGreaterThan(0);
    expect(book.ordinalOf(4)).toBeLessThan(0);
    const plain = softmaxOnly.weights(9);
    const blended = book.weights(9);
    // Peers 1–3 are proven: half the weight by softmax, plus a sixth each; peer 4 only its half of the softmax.
    for (const uid of [1, 2, 3]) expect(blended.get(uid)).toBeCloseTo(0.5 * plain.get(uid)! + 0.5 / 3, 12);
    expect(blended.get(4)).toBeCloseTo(0.5 * plain.get(4)!, 12);
    expect(blended.get(4)!).toBeLessThan(plain.get(4)!);
    expect(blended.get(3)!).toBeGreaterThan(plain.get(3)!);
    expect(blended.get(1)!).toBeLessThan(plain.get(1)!);
    expect(blended.get(1)!).toBeGreaterThan(blended.get(2)!);
    expect([...blended.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('pays by work the peers that proved they train on their own data, whatever their rank', () => {
    // The work alone here (the own-data gain's part of the pay has its test below).
    const book = new RatingBook({ ...DEFAULT_RATING_POLICY, payByOwnDataGain: false });
    const peer = (uid: number, z: number, work: number, score: number): PeerWindowScore => ({ uid, score, flags: [], assignmentZ: z, work });
    // Peers 1 and 2 train their whole assignment (z about 1 a window, work about 1); 1 ranks above 2 every window.
    // Peer 3 trains a quarter of it (a larger gap, a quarter of the work); peer 4's updates owe nothing to its data.
    const zs4 = [0.4, -0.8, 0.3, -0.2, 0.6, -0.5, 0.1, -0.3, 0.9, -0.4, 0.2, -0.1];
    for (let w = 1; w <= 12; w++) {
      book.recordWindow(w, [peer(1, 1.1, 0.98, 0.03), peer(2, 0.95, 1, 0.02), peer(3, 2, 0.25, 0.01), peer(4, zs4[w - 1]!, 1, 0.015)]);
      // Until some peer has proven its own data (4 windows at least), the softmax over ranks pays everyone.
      if (w === 3) expect(book.weights(w + 1).has(4)).toBe(true);
      // Peer 3 (4 windows of z 2: evidence 4) is proven at once, a whole peer's proof: the ranks pay nobody any more.
      if (w === 4) expect(book.weights(w + 1).has(4)).toBe(false);
    }
    // Evidence: 12 windows of z 1.1, each older one counting 0.95 times less → 1.1 × Σ0.95ᵃ / √Σ0.95²ᵃ = 1.1 × 3.41
    // = 3.75; of 0.95 → 3.24: both past 3.09, proven.
    const memory = DEFAULT_RATING_POLICY.ownDataMemory;
    const ages = Array.from({ length: 12 }, (_, a) => a);
    const weighted = ages.reduce((sum, a) => sum + memory ** a, 0) / Math.sqrt(ages.reduce((sum, a) => sum + memory ** (2 * a), 0));
    expect(weighted).toBeCloseTo(3.41, 2);
    expect(book.ownDataEvidence(1)).toBeCloseTo(1.1 * weighted, 12);
    expect(book.ownDataProof(2)).toBe(1);
    expect(book.ownDataProof(4)).toBe(0);
    const weights = book.weights(13);
    expect([...weights.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Equal work, equal pay though peer 1 ranks above peer 2; a quarter of the work, a quarter of the pay; unproven, none.
    expect(book.ordinalOf(1)).toBeGreaterThan(book.ordinalOf(2));
    expect(weights.get(1)! / weights.get(2)!).toBeCloseTo(0.98, 12);
    expect(weights.get(3)! / weights.get(2)!).toBeCloseTo(0.25, 12);
    expect(weights.has(4)).toBe(false);
    // A penalty takes the proof away: the peer proves its own data again before it is paid by work again.
    book.recordWindow(13, [peer(1, 1.1, 1, 0.03), { uid: 2, score: 0, flags: ['copied'], assignmentZ: 0.9, work: 0 }]);
    expect(book.ownDataEvidence(2)).toBe(0);
  });

  it('blends pay by work with pay by rank until the proofs add up to one peer', () => {
    // The same windows, with and without the per-batch evidence: without it the ranks alone pay.
    const withEvidence = new RatingBook();
    const ranksOnly = new RatingBook();
    for (let w = 1; w <= 4; w++) {
      withEvidence.recordWindow(w, [{ uid: 1, score: 0.03, flags: [], assignmentZ: 1.2, work: 1 }, { uid: 2, score: 0.01, flags: [], assignmentZ: 0.2, work: 1 }]);
      ranksOnly.recordWindow(w, [{ uid: 1, score: 0.03, flags: [] }, { uid: 2, score: 0.01, flags: [] }]);
    }
    // Peer 1: evidence 1.2 × (1 + 0.95 + 0.95² + 0.95³) / √(1 + 0.95² + 0.95⁴ + 0.95⁶) = 1.2 × 1.9967 = 2.3961,
    // proof (2.3961 − 1.645) / (3.09 − 1.645); peer 2: 0.4, none.
    const evidence = (1.2 * (1 + 0.95 + 0.95 ** 2 + 0.95 ** 3)) / Math.sqrt(1 + 0.95 ** 2 + 0.95 ** 4 + 0.95 ** 6);
    expect(evidence).toBeCloseTo(2.3961, 4);
    const proof = (evidence - 1.645) / (3.09 - 1.645);
    expect(withEvidence.ownDataProof(1)).toBeCloseTo(proof, 12);
    const rank = ranksOnly.weights(5);
    const blended = withEvidence.weights(5);
    expect(blended.get(1)).toBeCloseTo((1 - proof) * rank.get(1)! + proof, 12);
    expect(blended.get(2)).toBeCloseTo((1 - proof) * rank.get(2)!, 12);
  });

  it("pays a proven peer by how much of its assignment its updates show, against the median proven peer's, at most 1", () => {
    // Past the trials. Peers 1–3 train their whole assignment (mean z 3, 2.5, 3.5); peer 4 a part of it (z 1, still
    // proven after 20 windows: evidence 1 × 4.25); peer 5 trains its own data over and over (z 6). All of them do a
    // whole window's work for unseen data (work 1).
    const book = new RatingBook();
    const plain = new RatingBook({ ...DEFAULT_RATING_POLICY, payByOwnDataGain: false });
    const zs: Record<number, number> = { 1: 3, 2: 2.5, 3: 3.5, 4: 1, 5: 6 };
    for (let w = 1; w <= 20; w++) {
      const window = Object.keys(zs).map(Number).map((uid) => ({ uid, score: zs[uid]! * 1e-3, flags: [], assignmentZ: zs[uid]!, work: 1 }));
      book.recordWindow(w, window);
      plain.recordWindow(w, window);
    }
    // The mean z is the windows' z, whatever the memory (clipped at assignmentMaxZ: 6 counts as 4).
    expect(book.ownDataGain(1)).toBeCloseTo(3, 12);
    expect(book.ownDataGain(5)).toBeCloseTo(DEFAULT_RATING_POLICY.assignmentMaxZ, 12);
    expect([1, 2, 3, 4, 5].every((uid) => book.ownDataProof(uid) === 1)).toBe(true);
    // Without it, all five are paid the same.
    const same = plain.weights(21);
    [1, 2, 3, 4, 5].forEach((uid) => expect(same.get(uid)).toBeCloseTo(0.2, 12));
    // With it: the median gain is 3; peer 2 claims 2.5 / 3, peer 4 1 / 3, the others 1 (peer 5's 4 / 3 capped).
    const weights = book.weights(21);
    const claims = { 1: 1, 2: 2.5 / 3, 3: 1, 4: 1 / 3, 5: 1 };
    const total = Object.values(claims).reduce((a, b) => a + b, 0);
    for (const [uid, claim] of Object.entries(claims)) expect(weights.get(Number(uid))).toBeCloseTo(claim / total, 12);
  });

  it('reads the own-data gain with its own, shorter memory: recent updates count most, the evidence keeps its twenty windows', () => {
    const book = new RatingBook();
    const evidenceMemory = new RatingBook({ ...DEFAULT_RATING_POLICY, ownDataGainMemory: DEFAULT_RATING_POLICY.ownDataMemory });
    // Ten windows whose updates showed z 3, then ten that showed z 1 (a peer whose early gaps were large).
    for (let w = 1; w <= 20; w++) for (const b of [book, evidenceMemory]) b.recordWindow(w, [{ uid: 1, score: 1e-3, flags: [], assignmentZ: w <= 10 ? 3 : 1, work: 1 }]);
    // Σ λᵃ z / Σ λᵃ: at λ 0.85 the last ten weigh (1 − 0.85¹⁰) / 0.15 = 5.354 and the first ten 0.85¹⁰ × 5.354 = 1.054,
    // (5.354 + 3 × 1.054) / 6.408 = 1.329; at 0.95, 8.025 and 4.805: (8.025 + 3 × 4.805) / 12.830 = 1.749.
    expect(DEFAULT_RATING_POLICY.ownDataGainMemory).toBe(0.85);
    expect(book.ownDataGain(1)).toBeCloseTo(1.329, 3);
    expect(evidenceMemory.ownDataGain(1)).toBeCloseTo(1.749, 3);
    // The evidence (the proof) is the same in both: its memory is ownDataMemory.
    expect(book.ownDataEvidence(1)).toBe(evidenceMemory.ownDataEvidence(1));
    // A penalty clears the gain with the evidence: proven again, and paid again by what it shows then.
    book.recordWindow(21, [{ uid: 1, score: -1, flags: ['copied'], assignmentZ: 1, work: 1 }]);
    expect(book.ownDataGain(1)).toBeNaN();
  });

  it('proof is of recent work: a peer that stops training its own data loses it within some twenty windows', () => {
    const book = new RatingBook();
    const plain = new RatingBook({ ...DEFAULT_RATING_POLICY, ownDataMemory: 1 });
    const both = (w: number, z: number) => [book, plain].forEach((b) => b.recordWindow(w, [{ uid: 1, score: z * 1e-4, flags: [], assignmentZ: z, work: 1 }]));
    // 36 windows at z 1: the plain sum's evidence is √36 = 6; with the memory, Σ0.95ᵃ / √Σ0.95²ᵃ over 36 ages = 5.33.
    for (let w = 1; w <= 36; w++) both(w, 1);
    expect(plain.ownDataEvidence(1)).toBeCloseTo(6, 12);
    expect(book.ownDataEvidence(1)).toBeCloseTo(5.33, 2);
    // Then its updates owe nothing to its data (z 0, no noise to make it plain): the memory's proof falls below 1
    // after 11 such windows and to 0 after 23; the plain sum, 36 / √(36 + t), stays fully proven.
    for (let w = 37; w <= 46; w++) both(w, 0);
    expect(book.ownDataProof(1)).toBe(1);
    both(47, 0);
    expect(book.ownDataProof(1)).toBeLessThan(1);
    for (let w = 48; w <= 58; w++) both(w, 0);
    expect(book.ownDataProof(1)).toBeGreaterThan(0);
    both(59, 0);
    expect(book.ownDataProof(1)).toBe(0);
    expect(plain.ownDataEvidence(1)).toBeCloseTo(36 / Math.sqrt(59), 12);
    expect(plain.ownDataProof(1)).toBe(1);
  });

  it('reads a book saved before the memory as if every window weighed 1, and goes on with the memory', async () => {
    const temp = makeTempDir();
    try {
      const file = path.join(temp.dir, 'ratings.json');
      const saved = new RatingBook({ ...DEFAULT_RATING_POLICY, ownDataMemory: 1 });
      for (let w = 1; w <= 9; w++) saved.recordWindow(w, [{ uid: 1, score: 1e-4, flags: [], assignmentZ: 1 }]);
      await saved.save(file);
      // The file as an earlier version wrote it: no sum of squared weights.
      const body = JSON.parse(await fs.readFile(file, 'utf8')) as { peers: Array<Record<string, unknown>> };
      delete body.peers[0]!.ownDataWeightSquares;
      await fs.writeFile(file, JSON.stringify(body));
      const book = await RatingBook.load(file);
      expect(book.ownDataEvidence(1)).toBeCloseTo(9 / 3, 12);
      // Its mean z too: the plain sum over the windows' count.
      expect(book.ownDataGain(1)).toBeCloseTo(1, 12);
      book.recordWindow(10, [{ uid: 1, score: 1e-4, flags: [], assignmentZ: 1 }]);
      expect(book.ownDataEvidence(1)).toBeCloseTo((0.95 * 9 + 1) / Math.sqrt(0.95 ** 2 * 9 + 1), 12);
    } finally {
      temp.cleanup();
    }
  });

  it('averages the work share, each window weighing workMemory; a flagged window counts as no work', () => {
    const book = new RatingBook();
    book.recordWindow(1, [{ uid: 1, score: 0.01, flags: [], work: 1 }]);
    expect(book.peer(1).work).toBe(1);
    book.recordWindow(2, [{ uid: 1, score: 0, flags: ['late'], work: 0 }]);
    expect(book.peer(1).work).toBeCloseTo(1 - DEFAULT_RATING_POLICY.workMemory, 12);
    // A window not measured against controls leaves it as it was.
    book.recordWindow(3, [{ uid: 1, score: 0.01, flags: [] }]);
    expect(book.peer(1).work).toBeCloseTo(1 - DEFAULT_RATING_POLICY.workMemory, 12);
  });

  it('forgives a harmful update after clean windows once, counting it toward the streak instead', () => {
    const book = new RatingBook();
    const harmful = (uid: number): PeerWindowScore => ({ uid, score: -0.003, flags: ['harmful'] });
    for (let w = 1; w <= 3; w++) book.recordWindow(w, [clean(1, 0.02), clean(2, 0.02), clean(3, 0.02)]);
    // Peer 2 overshoots once after three clean windows: no penalty, one bad window in its streak.
    book.recordWindow(4, [clean(1, 0.02), harmful(2), { uid: 3, score: -0.003, flags: ['harmful', 'copied'] }]);
    expect(book.peer(2).penalties).toBe(0);
    expect(book.peer(2).negativeStreak).toBe(1);
    expect(book.peer(2).forgivenAt).toBe(4);
    // A copy is never forgiven.
    expect(book.peer(3).penalties).toBe(1);
    // Clean again, then harmful again within forgiveHarmEvery windows: penalised at once.
    for (let w = 5; w <= 7; w++) book.recordWindow(w, [clean(1, 0.02), clean(2, 0.02)]);
    book.recordWindow(8, [clean(1, 0.02), harmful(2)]);
    expect(book.peer(2).penalties).toBe(1);
    // A peer with no clean record is penalised at its first harmful update.
    book.recordWindow(9, [clean(1, 0.02), harmful(5)]);
    expect(book.peer(5).penalties).toBe(1);
    // Peer 3 (penalised at window 4, until 10) is not forgiven after clean windows while that penalty is recent.
    for (let w = 10; w <= 12; w++) book.recordWindow(w, [clean(1, 0.02), clean(3, 0.02)]);
    book.recordWindow(13, [clean(1, 0.02), harmful(3)]);
    expect(book.peer(3).penalties).toBe(2);
  });

  it('drops inactive peers from the weights after missed windows', () => {
    const book = new RatingBook();
    book.recordWindow(1, [clean(1, 0.02), clean(2, 0.02)]);
    for (let w = 2; w <= 4; w++) book.recordWindow(w, [clean(1, 0.02), { uid: 2, score: 0, flags: ['missing'] }]);
    expect(book.peer(2).missedStreak).toBe(3);
    expect([...book.weights(5).keys()]).toEqual([1]);
  });

  it('counts a window once and resumes from disk after a restart', async () => {
    const temp = makeTempDir();
    try {
      const file = path.join(temp.dir, 'validator', 'ratings.json');
      const book = new RatingBook();
      book.recordWindow(10, [clean(1, 0.03), clean(2, 0.01)]);
      const after10 = book.peer(1).mu;
      book.recordWindow(10, [clean(1, 0.03), clean(2, 0.01)]);
      expect(book.peer(1).mu).toBe(after10);
      await book.save(file);
      const resumed = await RatingBook.load(file);
      expect(resumed.lastWindow).toBe(10);
      expect(resumed.all()).toEqual(book.all());
      resumed.recordWindow(9, [clean(1, 0.03), clean(2, 0.01)]);
      expect(resumed.peer(1).mu).toBe(after10);
      resumed.recordWindow(11, [clean(1, 0.03), clean(2, 0.01)]);
      expect(resumed.peer(1).mu).toBeGreaterThan(after10);
    } finally {
      temp.cleanup();
    }
  });
});

describe('peer selection', () => {
  it('evaluates a bounded slice, every peer once per cycle, in groups that change between cycles', () => {
    const uids = [5, 1, 3, 2, 4, 0, 9, 8, 7, 6];
    // 10 peers, 4 per window: cycles of ceil(10/4) = 3 windows.
    for (let cycle = 0; cycle < 4; cycle++) {
      const slices = [0, 1, 2].map((i) => peersToEvaluate(uids, cycle * 3 + i, 4));
      for (const slice of slices) expect(slice).toHaveLength(4);
      expect(new Set(slices.flat()).size).toBe(10);
    }
    // Anyone recomputes the same slice for a window.
    expect(peersToEvaluate([...uids].reverse(), 7, 4)).toEqual(peersToEvaluate(uids, 7, 4));
    // The first windows of two cycles do not hold the same group.
    expect(peersToEvaluate(uids, 0, 4)).not.toEqual(peersToEvaluate(uids, 3, 4));
    expect(peersToEvaluate([2, 1], 7, 4)).toEqual([1, 2]);
  });
});
