import fs from 'node:fs/promises';
import path from 'node:path';
import { ordinal, rate, rating } from 'openskill';
import { plackettLuce } from 'openskill/models';
import { z } from 'zod';
import { median } from '../../core/median';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import type { Flag, PeerWindowScore } from './window-score';

export interface RatingPolicy {
  /** Consecutive flagged windows (or non-positive ones with no per-batch evidence) before a penalty. */
  negativeStreakForPenalty: number;
  /**
   * The assignment-gap evidence (a one-sided CUSUM over the windows' gap
   * z-scores): each evaluated window adds assignmentAllowance − z, the sum
   * never goes below 0, and reaching assignmentEvidenceForPenalty is
   * penalised. An honest peer's gap sits above 0 on average and keeps the sum
   * near 0 through noisy windows; a peer whose gap hovers at 0 (a lazy one)
   * adds about the allowance each window. Each window's z is clipped to
   * ±assignmentMaxZ, so no single window decides.
   * Slow and sure on purpose: pay already waits for proof of own data (below),
   * so this penalty need not hurry, and a false one costs an honest peer five
   * windows. At the allowance 0.25 and the bar 10 a peer with no gap at all is
   * penalised in about 40 evaluated windows, while an honest peer whose z
   * averages 0.5 (weak, but honest) drifts down 0.25 a window and would
   * wait of the order of a thousand windows for a false alarm (Siegmund's
   * approximation); at the former 0.5 and 6 that peer sat on the alarm's edge
   * and reached it in tens of windows.
   */
  assignmentAllowance: number;
  assignmentEvidenceForPenalty: number;
  assignmentMaxZ: number;
  /**
   * The copy evidence from ties (tie-breaker.ts): the same one-sided CUSUM
   * over the windows' tie z-scores (how far the peer's update improves the
   * other peer's batches more than its own, and the other's update its own
   * more than this peer's), each window adding z − the allowance: a copier
   * keeps copying, its victim's own work pulls the sum down. Penalised at
   * copyEvidenceForPenalty; each z clipped the same way as the gap's.
   */
  copyAllowance: number;
  copyEvidenceForPenalty: number;
  /** Flags that are penalised at the first offence. */
  immediateFlags: readonly Flag[];
  /** Windows a penalty lasts (no weight meanwhile). */
  penaltyWindows: number;
  /** Rating mean taken away per penalty, so a penalised peer also ranks lower afterwards. */
  penaltyMu: number;
  /** Missed windows in a row after which a peer counts as inactive (no weight). */
  inactiveAfterMissed: number;
  /**
   * A harmful update is forgiven once (counted toward the streak instead of
   * penalised at once) when the peer's last forgiveHarmAfterClean evaluated
   * windows were clean, no penalty of its ended within the last
   * forgiveHarmEvery windows, and it was last forgiven at least that long
   * ago: an honest update can overshoot now and then, a harmful peer rarely
   * strings clean windows together, and it can use this only rarely.
   */
  forgiveHarmAfterClean: number;
  forgiveHarmEvery: number;
  /** Only the best peers by rating get weight. */
  topPeers: number;
  /** Softmax temperature over rating ordinals: lower favours the top more. */
  temperature: number;
  /**
   * Share of the weight split evenly among the peers rated above a newcomer
   * (ordinal > a fresh rating's); the rest goes by the softmax. Keeps the
   * softmax from handing one honest peer nearly all the weight, and gives a
   * peer rated no better than a newcomer nothing of this share.
   */
  ratedShare: number;
  /**
   * Pay by measured work, to peers that proved they train on their own data.
   * A peer's own-data evidence is the sum of its windows' assignment z-scores
   * (each clipped to ±assignmentMaxZ) over the square root of their count:
   * about N(0, 1) for a peer whose updates owe nothing to its assigned data,
   * and growing with every window for one that trains on it. It counts from
   * ownDataMinWindows windows, so one lucky window proves nothing. Its proof
   * rises from 0 at ownDataProofFrom (a one-sided 95 % test) to 1 at
   * ownDataProofAt (99.9 %, the bar at which a tie blames a copier): one
   * window's z is about 1 for an honest peer on the devnet's model, so proof
   * takes many windows, and a peer with nothing to prove reaches the first
   * bar one time in twenty and the second one in a thousand.
   * Proof is of the peer's recent work, not for good: each older window
   * counts ownDataMemory times less, E = Σ λᵃ z / √(Σ λ²ᵃ) over the windows'
   * ages a. With λ = 0.95 (about the last twenty windows) the first twenty
   * windows prove nearly as fast as the plain sum (4.3 z against 4.5 z at
   * twenty), an honest peer's evidence levels off at 6.2 times its mean z,
   * and a peer that proved itself (z 1 a window for 36 windows) and then stops
   * training its own data is paid less from 11 windows on and nothing from 23;
   * by the plain sum it kept full pay for 100 windows and some for 443.
   * A proven peer's weight is its proof times its work (an average of the
   * windows' work shares, window-score.ts, each window weighing workMemory):
   * peers that did the same work are paid the same, whatever their rank.
   * Until the proofs add up to one peer's, that share blends with the
   * softmax and the even share above (the first windows; a trainer that
   * reports no per-batch losses, so nobody can prove anything).
   */
  ownDataProofFrom: number;
  ownDataProofAt: number;
  ownDataMinWindows: number;
  ownDataMemory: number;
  workMemory: number;
  /**
   * Pay by how much of its assignment the peer's updates show, too: a peer's
   * own-data gain is its windows' mean assignment z (with ownDataGainMemory),
   * and a proven peer is paid its proof times its work times its
   * gain over the median proven peer's, at most 1. The gap between what an
   * update does for its own data and for data nobody trained on grows with
   * the share of its assignment it trained on (a part-timer's, a quarter of
   * the steps, stays near 1 z a window while honest peers' rise to 2–5 as
   * the model learns: bench:trust at 30 inner steps), while the work share
   * measures its good for unseen data, which a few steps nearly buy on a
   * small model. Capped at the median so that a larger gap (training its own
   * data over and over) buys nothing.
   */
  payByOwnDataGain: boolean;
  /**
   * How much less each older window's z counts in the own-data gain: 0.85,
   * about the last seven windows, shorter than the evidence's (ownDataMemory;
   * the same value reads both from one sum). The gain then pays by what the
   * peer's recent updates show: a part-timer whose early windows happened to
   * show large gaps kept them in a twenty-window mean (GAUNTLET.md, weights).
   */
  ownDataGainMemory: number;
}

export const DEFAULT_RATING_POLICY: RatingPolicy = {
  negativeStreakForPenalty: 3,
  assignmentAllowance: 0.25,
  assignmentEvidenceForPenalty: 10,
  copyAllowance: 0.5,
  copyEvidenceForPenalty: 6,
  assignmentMaxZ: 4,
  // Updates are tried at their share of the aggregate step, where an honest one
  // helps data it never saw; one that makes the model worse is not honest.
  immediateFlags: ['copied', 'invalid', 'harmful'],
  penaltyWindows: 5,
  penaltyMu: 3,
  inactiveAfterMissed: 3,
  forgiveHarmAfterClean: 3,
  forgiveHarmEvery: 10,
  topPeers: 32,
  temperature: 2,
  ratedShare: 0.5,
  ownDataProofFrom: 1.645,
  ownDataProofAt: 3.09,
  ownDataMinWindows: 4,
  ownDataMemory: 0.95,
  workMemory: 0.1,
  payByOwnDataGain: true,
  ownDataGainMemory: 0.85,
};

const PeerRecord = z.object({
  uid: z.number().int().nonnegative(),
  mu: z.number(),
  sigma: z.number().positive(),
  negativeStreak: z.number().int().nonnegative(),
  /** The assignment-gap CUSUM (see RatingPolicy); books saved before it existed start at 0. */
  assignmentEvidence: z.number().nonnegative().default(0),
  /** The copy-evidence CUSUM from ties (see RatingPolicy); books saved before it existed start at 0. */
  copyEvidence: z.number().nonnegative().default(0),
  /**
   * The own-data evidence (see RatingPolicy): the windows' clipped assignment
   * z summed with the memory's weights, the sum of those weights squared
   * (absent in books saved before the memory: the count, as every weight was
   * 1), and the count of windows.
   */
  ownDataZSum: z.number().default(0),
  ownDataWeightSquares: z.number().nonnegative().optional(),
  ownDataWindows: z.number().int().nonnegative().default(0),
  /** The gain's own sums when its memory is not the evidence's (ownDataGainMemory): the z and the weights, each with that memory. */
  ownDataGainZSum: z.number().optional(),
  ownDataGainWeights: z.number().nonnegative().optional(),
  /** The average work share (see RatingPolicy); null until a window measured it. */
  work: z.number().min(0).max(1).nullable().default(null),
  missedStreak: z.number().int().nonnegative(),
  /** Evaluated windows in a row with no flag, and the last window a harmful update was forgiven (see RatingPolicy). */
  cleanStreak: z.number().int().nonnegative().default(0),
  forgivenAt: z.number().int().nullable().default(null),
  /** No weight until this window (exclusive). */
  penalizedUntil: z.number().int(),
  penalties: z.number().int().nonnegative(),
  windowsScored: z.number().int().nonnegative(),
  lastScore: z.number(),
  lastFlags: z.array(z.string()),
});
export type PeerRecord = z.infer<typeof PeerRecord>;

const BookFile = z.object({ version: z.literal(1), lastWindow: z.number().int().nullable(), peers: z.array(PeerRecord) });

/**
 * Ratings across windows (OpenSkill, Plackett–Luce), penalties, and the
 * weights they lead to. Saved after every window, so a validator restart
 * resumes where it was; the window schedule itself comes from the chain.
 */
export class RatingBook {
  private peers = new Map<number, PeerRecord>();
  lastWindow: number | null = null;

  constructor(readonly policy: RatingPolicy = DEFAULT_RATING_POLICY) {}

  peer(uid: number): PeerRecord {
    let record = this.peers.get(uid);
    if (!record) {
      const fresh = rating();
      record = { uid, mu: fresh.mu, sigma: fresh.sigma, negativeStreak: 0, assignmentEvidence: 0, copyEvidence: 0, ownDataZSum: 0, ownDataWeightSquares: 0, ownDataWindows: 0, ownDataGainZSum: 0, ownDataGainWeights: 0, work: null, missedStreak: 0, cleanStreak: 0, forgivenAt: null, penalizedUntil: 0, penalties: 0, windowsScored: 0, lastScore: 0, lastFlags: [] };
      this.peers.set(uid, record);
    }
    return record;
  }

  all(): PeerRecord[] {
    return [...this.peers.values()].sort((a, b) => a.uid - b.uid);
  }

  ordinalOf(uid: number): number {
    const p = this.peer(uid);
    return ordinal({ mu: p.mu, sigma: p.sigma });
  }

  /** The peer's own-data evidence (see RatingPolicy); 0 before ownDataMinWindows windows measured it. */
  ownDataEvidence(uid: number): number {
    const p = this.peer(uid);
    if (p.ownDataWindows < Math.max(1, this.policy.ownDataMinWindows)) return 0;
    return p.ownDataZSum / Math.sqrt(p.ownDataWeightSquares ?? p.ownDataWindows);
  }

  /** The peer's mean own-data z (see RatingPolicy, payByOwnDataGain), each older window weighing ownDataGainMemory less; NaN before any. */
  ownDataGain(uid: number): number {
    const p = this.peer(uid);
    if (p.ownDataWindows === 0) return Number.NaN;
    if (this.policy.ownDataGainMemory !== this.policy.ownDataMemory && p.ownDataGainZSum !== undefined && p.ownDataGainWeights) return p.ownDataGainZSum / p.ownDataGainWeights;
    const memory = this.policy.ownDataMemory;
    // A book saved before the memory summed every window at weight 1 (as ownDataEvidence reads it).
    const weightSum = memory === 1 || p.ownDataWeightSquares === undefined ? p.ownDataWindows : (1 - memory ** p.ownDataWindows) / (1 - memory);
    return p.ownDataZSum / weightSum;
  }

  /** How far the peer has proven it trains on its own data, 0 to 1 (see RatingPolicy). */
  ownDataProof(uid: number): number {
    const { ownDataProofFrom: from, ownDataProofAt: at } = this.policy;
    const evidence = this.ownDataEvidence(uid);
    if (evidence >= at) return 1;
    return at > from ? Math.max(0, (evidence - from) / (at - from)) : 0;
  }

  isPenalized(uid: number, window: number): boolean {
    return this.peer(uid).penalizedUntil > window;
  }

  /** Folds one window's scores in. A window is counted once, whatever happens around a restart. */
  recordWindow(window: number, scores: readonly PeerWindowScore[]): void {
    if (this.lastWindow !== null && window <= this.lastWindow) return;
    const rated = scores.filter((s) => !s.flags.includes('missing'));
    if (rated.length >= 2) {
      const before = rated.map((s) => [{ mu: this.peer(s.uid).mu, sigma: this.peer(s.uid).sigma }]);
      const after = rate(before, { model: plackettLuce, score: rated.map((s) => s.score) });
      rated.forEach((s, i) => {
        const r = after[i]?.[0];
        if (r) Object.assign(this.peer(s.uid), { mu: r.mu, sigma: r.sigma });
      });
    }
    for (const s of scores) this.applyStreaks(window, s);
    this.lastWindow = window;
  }

  /**
   * Normalised weights among the top peers by rating ordinal that are neither
   * penalised nor inactive. Once they have proven they train on their own
   * data, to those by their work and own-data gain (see RatingPolicy); until then, through a
   * softmax so better peers get more, and registered peers the book has not
   * met yet count at the starting rating, so a newcomer's updates are
   * aggregated while it waits for its first evaluation. A peer only ever seen
   * missing gets nothing.
   */
  weights(window: number, registered: readonly number[] = []): Map<number, number> {
    const fresh = rating();
    const newcomers = registered.filter((uid) => !this.peers.has(uid)).map((uid) => ({ uid, ord: ordinal(fresh) }));
    const eligible = this.all()
      .filter((p) => p.penalizedUntil <= window && p.missedStreak < this.policy.inactiveAfterMissed && (p.windowsScored > 0 || p.missedStreak === 0))
      .map((p) => ({ uid: p.uid, ord: ordinal({ mu: p.mu, sigma: p.sigma }) }))
      .concat(newcomers)
      .sort((a, b) => b.ord - a.ord)
      .slice(0, this.policy.topPeers);
    const weights = new Map<number, number>();
    if (eligible.length === 0) return weights;
    const top = eligible[0]!.ord;
    const raw = eligible.map((p) => Math.exp((p.ord - top) / this.policy.temperature));
    const sum = raw.reduce((a, b) => a + b, 0);
    const rated = eligible.filter((p) => p.ord > ordinal(fresh)).length;
    const even = rated > 0 ? this.policy.ratedShare : 0;
    const byRank = eligible.map((p, i) => (1 - even) * ((raw[i] as number) / sum) + (p.ord > ordinal(fresh) ? even / rated : 0));
    // Newcomers the book has not met have proven nothing.
    const proofs = eligible.map((p) => (this.peers.has(p.uid) ? this.ownDataProof(p.uid) : 0));
    // Each proven peer's own-data gain against the median proven peer's, at most 1 (payByOwnDataGain).
    const gains = eligible.map((p, i) => ((proofs[i] as number) > 0 ? this.ownDataGain(p.uid) : Number.NaN));
    const typicalGain = median(gains.filter(Number.isFinite));
    const gainShare = (gain: number) => (this.policy.payByOwnDataGain && typicalGain > 0 && Number.isFinite(gain) ? Math.min(1, Math.max(0, gain / typicalGain)) : 1);
    const byWork = eligible.map((p, i) => (proofs[i] as number) * (this.peers.get(p.uid)?.work ?? 1) * gainShare(gains[i] as number));
    const workSum = byWork.reduce((a, b) => a + b, 0);
    const share = workSum > 0 ? Math.min(1, proofs.reduce((a, b) => a + b, 0)) : 0;
    eligible.forEach((p, i) => {
      const w = (1 - share) * (byRank[i] as number) + (share > 0 ? (share * (byWork[i] as number)) / workSum : 0);
      if (w > 0) weights.set(p.uid, w);
    });
    return weights;
  }

  async save(file: string): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const body = { version: 1 as const, lastWindow: this.lastWindow, peers: this.all() };
    await writeFileAtomically(file, `${JSON.stringify(body)}\n`, { mode: 0o600 });
  }

  static async load(file: string, policy: RatingPolicy = DEFAULT_RATING_POLICY): Promise<RatingBook> {
    const book = new RatingBook(policy);
    const text = await readFileIfExists(file);
    if (!text) return book;
    const parsed = BookFile.parse(JSON.parse(text));
    book.lastWindow = parsed.lastWindow;
    for (const p of parsed.peers) book.peers.set(p.uid, p);
    return book;
  }

  private applyStreaks(window: number, s: PeerWindowScore): void {
    const p = this.peer(s.uid);
    p.lastScore = s.score;
    p.lastFlags = [...s.flags];
    if (s.flags.includes('missing')) {
      p.missedStreak += 1;
      return;
    }
    p.missedStreak = 0;
    p.windowsScored += 1;
    // A window with a measured spread is judged by its flags; its gap's sign is evidence, not a verdict.
    const bad = s.flags.length > 0 || (s.assignmentZ === undefined && s.score <= 0);
    p.negativeStreak = bad ? p.negativeStreak + 1 : 0;
    if (s.assignmentZ !== undefined) {
      const { assignmentAllowance: k, assignmentMaxZ: maxZ } = this.policy;
      const z = Math.max(-maxZ, Math.min(maxZ, s.assignmentZ));
      p.assignmentEvidence = Math.max(0, p.assignmentEvidence + k - z);
      const memory = this.policy.ownDataMemory;
      p.ownDataZSum = memory * p.ownDataZSum + z;
      p.ownDataWeightSquares = memory * memory * (p.ownDataWeightSquares ?? p.ownDataWindows) + 1;
      p.ownDataWindows += 1;
      const gainMemory = this.policy.ownDataGainMemory;
      p.ownDataGainZSum = gainMemory * (p.ownDataGainZSum ?? 0) + z;
      p.ownDataGainWeights = gainMemory * (p.ownDataGainWeights ?? 0) + 1;
    }
    if (s.work !== undefined) p.work = p.work === null ? s.work : (1 - this.policy.workMemory) * p.work + this.policy.workMemory * s.work;
    if (s.tieZ !== undefined) {
      const z = Math.max(-this.policy.assignmentMaxZ, Math.min(this.policy.assignmentMaxZ, s.tieZ));
      p.copyEvidence = Math.max(0, p.copyEvidence + z - this.policy.copyAllowance);
    }
    let immediate = s.flags.some((f) => this.policy.immediateFlags.includes(f));
    const onlyHarm = s.flags.includes('harmful') && !s.flags.some((f) => f !== 'harmful' && this.policy.immediateFlags.includes(f));
    const every = this.policy.forgiveHarmEvery;
    const cleanRecord = p.cleanStreak >= this.policy.forgiveHarmAfterClean && (p.penalties === 0 || p.penalizedUntil + every <= window);
    if (immediate && onlyHarm && cleanRecord && (p.forgivenAt === null || window - p.forgivenAt >= every)) {
      immediate = false;
      p.forgivenAt = window;
    }
    p.cleanStreak = s.flags.length === 0 ? p.cleanStreak + 1 : 0;
    const { assignmentEvidenceForPenalty, copyEvidenceForPenalty } = this.policy;
    if (immediate || p.negativeStreak >= this.policy.negativeStreakForPenalty || p.assignmentEvidence >= assignmentEvidenceForPenalty || p.copyEvidence >= copyEvidenceForPenalty) {
      p.penalizedUntil = Math.max(p.penalizedUntil, window + 1 + this.policy.penaltyWindows);
      p.penalties += 1;
      p.mu -= this.policy.penaltyMu;
      p.negativeStreak = 0;
      p.assignmentEvidence = 0;
      p.copyEvidence = 0;
      // Proven once is not proven for good: a penalised peer proves its own data again before it is paid by work.
      p.ownDataZSum = 0;
      p.ownDataWeightSquares = 0;
      p.ownDataWindows = 0;
      p.ownDataGainZSum = 0;
      p.ownDataGainWeights = 0;
    }
  }
}
