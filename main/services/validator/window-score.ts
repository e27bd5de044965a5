import { gauntlet, inSync, type LossMeasurements, type SyncReport } from './score-components';

export type Flag = 'missing' | 'late' | 'desynced' | 'copied' | 'not-own-data' | 'harmful' | 'invalid';

export interface PeerWindowInput {
  uid: number;
  /** Upload present and on time. */
  present: boolean;
  onTime: boolean;
  /** The payload decoded and validated. */
  valid: boolean;
  losses?: LossMeasurements;
  sync?: SyncReport;
  /** Set when copy detection matched this upload to an earlier one. */
  copiedFrom?: number;
}

export interface ScoringPolicy {
  globalDigest: string;
  maxStepsBehind: number;
  minAssignmentGap: number;
  /** One-sided z a negative gap must reach before it counts as not-own-data (default: 95 %). */
  assignmentConfidenceZ?: number;
}

export interface PeerWindowScore {
  uid: number;
  /** The window's score: how much more the update helps its assigned data than random data, or ≤ 0 with flags. */
  score: number;
  flags: Flag[];
  /**
   * How many standard errors the assignment gap is above the bar, when it was
   * measured with a per-batch spread: the evidence the rating book accumulates
   * across windows, since one window's gap is too noisy to judge by itself.
   */
  assignmentZ?: number;
  /**
   * In a tie with another upload (the same update, dates a second apart): how
   * many standard errors the evidence says this peer copied it (tie-breaker.ts,
   * the weaker of its two tests); the rating book sums it across windows.
   */
  tieZ?: number;
  /**
   * The window's share of a full window's work (score-components.ts, `work`),
   * what the rating book pays by: 0 for a flagged update (but for
   * not-own-data, see scoreWindow), undefined when the update was not
   * measured against controls.
   */
  work?: number;
}

/**
 * One peer's score for one window. A clean update scores its assignment gap:
 * what it does for the data the peer was assigned beyond what it does for
 * random data. Every peer with real data improves the model on random data;
 * only one that trained on its own assignment earns the gap, so a copier or a
 * lazy peer cannot. Any flag scores 0, or the harm done when the update made
 * the model worse; only an honest, useful, on-time update scores above 0.
 */
export function scoreWindow(input: PeerWindowInput, policy: ScoringPolicy): PeerWindowScore {
  const flags: Flag[] = [];
  if (!input.present) return { uid: input.uid, score: 0, flags: ['missing'] };
  if (!input.onTime) flags.push('late');
  if (!input.valid) flags.push('invalid');
  if (input.sync && !inSync(input.sync, policy.globalDigest, policy.maxStepsBehind)) flags.push('desynced');
  if (input.copiedFrom !== undefined) flags.push('copied');
  let score = 0;
  let assignmentZ: number | undefined;
  let work: number | undefined;
  if (input.losses) {
    const verdict = gauntlet(input.losses, policy.minAssignmentGap, policy.assignmentConfidenceZ);
    if (!Number.isFinite(verdict.quality)) flags.push('invalid');
    else {
      if (verdict.quality < 0) flags.push('harmful');
      // A gap below the bar but within noise is no flag: it still scores (≤ 0) and adds to the evidence.
      if (verdict.notOwnData) flags.push('not-own-data');
      // The gap says the data was its own; the work share says how much of it: a peer that trained a quarter of its
      // assignment ranked above honest peers by its gap alone (bench:trust, sequential, seeds 2 and 3), and does less.
      const credited = verdict.assignmentGap > 0 && verdict.work !== undefined ? verdict.assignmentGap * verdict.work : verdict.assignmentGap;
      score = verdict.quality < 0 ? verdict.quality : credited;
      assignmentZ = verdict.assignmentZ;
      work = verdict.work;
    }
  }
  // Harm is always charged; benefit is only credited to a clean update.
  if (flags.length > 0) score = Math.min(0, score);
  // Work that does not count is none; not-own-data, a test at 95 % that honest peers fail one window in twenty, is
  // already in the own-data evidence that gates the pay (rating-book.ts), and is not counted twice.
  if (flags.some((f) => f !== 'not-own-data')) work = 0;
  return { uid: input.uid, score, flags, ...(assignmentZ === undefined ? {} : { assignmentZ }), ...(work === undefined ? {} : { work }) };
}
