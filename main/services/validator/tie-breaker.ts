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
 * one-sided test at `z`), its uploader did not make it: a copier. When the
 * test cannot tell (no per-batch losses, or within the noise), nobody is
 * blamed: a possible victim is never penalised.
 *
 * The figures are each batch's improvement less the controls' median on the
 * same batch, as for the assignment gap (WindowLossRuns.adjustedBatches).
 */
export interface TieVerdict {
  /** The update improves `source`'s batches more than its uploader's by this much (mean of adjusted per-batch improvements). */
  lead: number;
  /** Its standard error. */
  stdError: number;
  /** Whether the uploader is the copier: the lead is above 0 by more than `z` standard errors. */
  copied: boolean;
}

export function breakTie(losses: WindowLossRuns, uploader: number, source: number, controls: readonly number[], z: number): TieVerdict | undefined {
  const others = controls.filter((c) => c !== uploader && c !== source);
  const onSource = losses.adjustedBatches(String(source), uploader, others);
  const onOwn = losses.adjustedBatches(String(uploader), uploader, others);
  if (!onSource || !onOwn || onSource.length < 2 || onOwn.length < 2) return undefined;
  const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const lead = mean(onSource) - mean(onOwn);
  const stdError = standardErrorOfDifference(onSource, onOwn);
  return { lead, stdError, copied: Number.isFinite(stdError) && stdError > 0 && lead - z * stdError > 0 };
}
