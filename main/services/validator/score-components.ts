/**
 * The parts of a Gauntlet-style window score, each a small pure function so
 * each can be tested with numbers worked out by hand.
 */

/** Loss improvement relative to the loss before: (before − after) / before. Positive is better. */
export function relativeImprovement(before: number, after: number): number {
  if (!Number.isFinite(before) || !Number.isFinite(after) || before <= 0) return Number.NaN;
  return (before - after) / before;
}

/** The relative improvement of each batch: the spread of these is what tells a real difference from noise. */
export function batchImprovements(before: readonly number[], after: readonly number[]): number[] | undefined {
  if (before.length === 0 || before.length !== after.length) return undefined;
  return before.map((b, i) => relativeImprovement(b, after[i] as number));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const m = mean(values);
  return { mean: m, variance: values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1) };
}

/**
 * Standard error of mean(a) − mean(b) for two independent samples (Welch):
 * √(var a / n + var b / m). NaN when either has fewer than two values.
 */
export function standardErrorOfDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length < 2 || b.length < 2) return Number.NaN;
  return Math.sqrt(meanAndVariance(a).variance / a.length + meanAndVariance(b).variance / b.length);
}

/**
 * The share of a set's batches, its best, that the assignment gap leaves out
 * (see gauntlet): a peer that trained on a quarter of its assignment improves
 * that quarter a lot and the rest hardly (bench:trust, per batch), an honest
 * peer most of its batches a little. The random set loses its best quarter
 * too, so what is left of a part-timer's gap is smaller, not gone
 * (GAUNTLET.md, the loss check): its work share is what pays it less.
 */
export const COVERAGE_TRIM = 0.25;

/**
 * The mean of the values less their best `trim` share, and its standard
 * error from the sample winsorized at the same point (Tukey and McLaughlin:
 * its standard deviation over the kept share times √n). NaN below two
 * values kept.
 */
export function meanOfAllButTheBest(values: readonly number[], trim = COVERAGE_TRIM): { mean: number; stdError: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const dropped = Math.floor(sorted.length * trim);
  const kept = sorted.slice(0, sorted.length - dropped);
  if (kept.length < 2) return { mean: Number.NaN, stdError: Number.NaN };
  const winsorized = kept.concat(Array<number>(dropped).fill(kept[kept.length - 1] as number));
  const { variance } = meanAndVariance(winsorized);
  return { mean: mean(kept), stdError: Math.sqrt(variance) / ((kept.length / sorted.length) * Math.sqrt(sorted.length)) };
}

/** z of a one-sided 95 % test: a gap this many standard errors below the bar is not noise. */
export const ONE_SIDED_95 = 1.645;

export interface LossMeasurements {
  /** Loss on the peer's own assigned batches before and after applying its update. */
  ownBefore: number;
  ownAfter: number;
  /** Loss on random batches (not assigned to this peer) before and after. */
  randomBefore: number;
  randomAfter: number;
  /**
   * Control (optional): the typical relative improvement other peers' updates
   * give this peer's assigned batches and the random batches. Some batches are
   * simply easier to improve than others; the control takes that out, so the
   * gap measures what is specific to this update.
   */
  control?: { own: number; random: number };
  /**
   * Per batch (optional): this update's relative improvement of each own and
   * each random batch, less the control's on the same batch when there is one.
   * Their spread gives the gap a standard error, and the best quarter of
   * each set is left out of it (COVERAGE_TRIM); without them the gap is
   * judged by its sign alone.
   */
  batches?: { own: readonly number[]; random: readonly number[] };
}

export interface GauntletVerdict {
  /** How much the update helps the global model on data it was not trained on. */
  quality: number;
  /**
   * Improvement on own data minus improvement on random data, less the
   * control's; with per-batch figures, over all but the best quarter of each
   * set's batches.
   */
  assignmentGap: number;
  /** Standard error of the gap from the per-batch spread (all but the best quarter, winsorized); NaN when unknown. */
  assignmentStdError: number;
  /** (gap − minAssignmentGap) / standard error, when the standard error is known. */
  assignmentZ?: number;
  /**
   * An update made from the peer's assigned data helps that data more than
   * random data; one made from other data (a lazy or copying peer) does not.
   */
  trainedOnAssignment: boolean;
  /**
   * The gap is at or below the bar beyond noise: its one-sided upper bound
   * (gap + confidenceZ × standard error) is still ≤ minAssignmentGap. With no
   * spread known, any gap at or below the bar.
   */
  notOwnData: boolean;
  /**
   * The update's share of a full window's work: its improvement of the random
   * batches over the controls' median improvement of the same batches, in
   * [0, 1]; undefined without controls that improved them. Every update is
   * tried at no more than the window's median norm, so a step larger than
   * that buys nothing here: what an update does for data nobody trained on
   * grows with the data and steps behind it. Less than in proportion: on the
   * devnet's tiny model a quarter of the steps measured 0.6–0.9 of a full
   * window (bench:trust), and an update smaller than the median norm could
   * be scaled up to it for more (a limit of this measure).
   */
  work?: number;
}

export function gauntlet(m: LossMeasurements, minAssignmentGap = 0, confidenceZ = ONE_SIDED_95): GauntletVerdict {
  const own = relativeImprovement(m.ownBefore, m.ownAfter);
  const random = relativeImprovement(m.randomBefore, m.randomAfter);
  // With per-batch figures, each set's best quarter is left out of the gap: an update trained on all of its
  // assignment owes its gap to most of its batches, one trained on part of it mostly to that part (COVERAGE_TRIM).
  // Too few batches to leave any out (fewer than two kept): the plain gap, with no standard error.
  const ownKept = m.batches ? meanOfAllButTheBest(m.batches.own) : undefined;
  const randomKept = m.batches ? meanOfAllButTheBest(m.batches.random) : undefined;
  const trimmedAway = m.batches && ownKept && randomKept && Number.isFinite(ownKept.mean) && Number.isFinite(randomKept.mean) ? mean(m.batches.own) - ownKept.mean - (mean(m.batches.random) - randomKept.mean) : 0;
  const assignmentGap = own - random - (m.control ? m.control.own - m.control.random : 0) - trimmedAway;
  const stdError = ownKept && randomKept ? Math.sqrt(ownKept.stdError ** 2 + randomKept.stdError ** 2) : Number.NaN;
  const known = Number.isFinite(stdError) && stdError > 0 && Number.isFinite(assignmentGap);
  const trainedOnAssignment = Number.isFinite(assignmentGap) && assignmentGap > minAssignmentGap;
  const work = m.control && m.control.random > 0 && Number.isFinite(random) ? Math.min(1, Math.max(0, random / m.control.random)) : undefined;
  return {
    quality: random,
    assignmentGap,
    assignmentStdError: stdError,
    ...(known ? { assignmentZ: (assignmentGap - minAssignmentGap) / stdError } : {}),
    trainedOnAssignment,
    notOwnData: known ? assignmentGap + confidenceZ * stdError <= minAssignmentGap : !trainedOnAssignment,
    ...(work === undefined ? {} : { work }),
  };
}

export interface SyncReport {
  /** The digest of the model the peer says it trained from. */
  peerDigest: string;
  /** Inner steps the peer's starting model is behind the global one (0 when in sync). */
  stepsBehind: number;
}

/** In sync when the peer started from the global model, or at most maxStepsBehind behind it. */
export function inSync(report: SyncReport, globalDigest: string, maxStepsBehind: number): boolean {
  return report.peerDigest === globalDigest || report.stepsBehind <= maxStepsBehind;
}
