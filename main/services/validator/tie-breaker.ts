import { standardErrorOfDifference } from './score-components';
import type { WindowLossRuns } from './window-loss-runs';

/**
 * Who made an update that two uploads share, when their storage dates cannot
 * say which came first (copy-detection.ts leaves such a pair a tie). An
 * update is made from its author's assigned data: applied to the model, it
 * improves the author's batches more than other batches (the assignment gap,
 * GAUNTLET.md step 5). So the shared update is tried on both peers'
 * batches: when the later-or-same upload's update improves the other peer's
 * batches more than its own uploader's, beyond the per-batch noise (a
 * one-sided test at `z`), and the source's own update improves the source's
 * batches more than the uploader's (the source looks like an author, at the
 * same `z`), the uploader did not make it: a copier. Both must hold: an
 * honest peer whose update a copier mixed into its own stands in a tie with
 * that copier, and a chance lead of its update on the copier's batches is
 * then contradicted by the copier's update, which improves the honest
 * peer's batches more than the copier's own. When the tests cannot tell (no
 * per-batch losses, or within the noise), nobody is blamed: a possible
 * victim is never penalised.
 *
 * The figures are each batch's improvement less the controls' median on the
 * same batch, as for the assignment gap (WindowLossRuns.adjustedBatches).
 */
export interface TieVerdict {
  /** The uploader's update improves `source`'s batches more than its uploader's by this many standard errors. */
  leadZ: number;
  /** The source's update improves the uploader's batches more than its own by this many standard errors (negative: the source made its own). */
  reverseZ: number;
  /** The evidence that the uploader copied: the weaker of the two, min(leadZ, −reverseZ) (NaN where either is unknown). */
  z: number;
  /** Whether this window alone shows the uploader is the copier: both beyond `z`. */
  copied: boolean;
}

/** How many standard errors more `update`'s update improves `other`'s batches than its own uploader's (NaN where it cannot say). */
function leadOn(losses: WindowLossRuns, update: number, other: number, controls: readonly number[]): number {
  const others = controls.filter((c) => c !== update && c !== other);
  const onOther = losses.adjustedBatches(String(other), update, others);
  const onOwn = losses.adjustedBatches(String(update), update, others);
  if (!onOther || !onOwn || onOther.length < 2 || onOwn.length < 2) return Number.NaN;
  const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const stdError = standardErrorOfDifference(onOther, onOwn);
  return stdError > 0 ? (mean(onOther) - mean(onOwn)) / stdError : Number.NaN;
}

/** The tie of `uploader`'s update with `source`'s: both updates must have been tried on both peers' batches. */
/**
 * One window decides only far beyond the noise (one-sided 99.9 %): the same
 * update improves its author's batches only a little more than others'
 * (a fraction of a standard error to one and a half, a window, at the
 * devnet's scale), and a victim blamed by chance would be penalised. Below
 * it, the window's z is evidence the rating book sums across windows.
 */
export const TIE_BLAME_Z = 3.09;

export function breakTie(losses: WindowLossRuns, uploader: number, source: number, controls: readonly number[], z: number): TieVerdict {
  const leadZ = leadOn(losses, uploader, source, controls);
  const reverseZ = leadOn(losses, source, uploader, controls);
  const evidence = Math.min(leadZ, -reverseZ);
  return { leadZ, reverseZ, z: evidence, copied: evidence > z };
}
