import { gauntlet, relativeImprovement, type LossMeasurements } from './score-components';
import type { PeerWindowScore } from './window-score';
import type { CopyFinding } from './copy-detection';

/** What the validator tells of each window it judged: the log, the CLI, the devnet's UI and the trust bench read it. */

export interface PeerReport extends PeerWindowScore {
  evaluated: boolean;
  /** Inner steps behind the global model (from its sync report), when known. */
  stepsBehind?: number;
  /** Whether its sync report proved the model it names (its own keyed digest of it), or could not be checked. */
  syncProof?: 'proven' | 'disproven' | 'unknown';
  /** The uploads its update was made of (copy detection), the largest share first. */
  copiedFrom?: number[];
  /** Uploads its update is made of that landed too close to it to order (storage dates): nobody is blamed on that alone (tie-breaker.ts). */
  tiedWith?: number[];
  /** The share of its update's energy that uploads landed before it explain (copies: ≥ the threshold; honest peers: what gradients share). */
  explained?: number;
  norm?: number;
  /** Relative loss improvement on its own and on random batches. */
  ownImprovement?: number;
  randomImprovement?: number;
  /** Own minus random improvement, less the same for the other updates (the control). */
  assignmentGap?: number;
  /** Its standard error from the per-batch spread, when the trainer reported batches. */
  assignmentStdError?: number;
}

export interface WindowReport {
  window: number;
  peers: PeerReport[];
  weights: Map<number, number>;
  /** Uids whose updates went into the global model. */
  aggregated: number[];
  globalDigest: string | null;
  /** The upload deadline (epoch ms) the window's updates were judged against: the miners' own. */
  deadline: number;
  /** How long the validation took. */
  seconds: number;
  /** Set when the aggregate was applied without judging anyone (the validator fell behind, or judging failed): why. */
  unjudged?: string;
}

/** A peer's line in the window report: its score, and the figures it was judged on. */
export function peerReport(
  score: PeerWindowScore,
  facts: { stepsBehind: number | undefined; syncProof?: 'proven' | 'disproven' | 'unknown' | undefined; copy: CopyFinding | undefined; tiedWith?: number[] | undefined; explained: number | undefined; norm: number | undefined; losses: LossMeasurements | undefined },
  minAssignmentGap: number,
): PeerReport {
  const { stepsBehind, syncProof, copy, tiedWith, explained, norm, losses } = facts;
  return {
    ...score,
    evaluated: losses !== undefined,
    ...(stepsBehind === undefined ? {} : { stepsBehind }),
    ...(syncProof === undefined ? {} : { syncProof }),
    ...(copy ? { copiedFrom: copy.copiedFrom } : {}),
    ...(tiedWith && !copy ? { tiedWith } : {}),
    ...(explained === undefined ? {} : { explained }),
    ...(norm === undefined ? {} : { norm }),
    ...(losses
      ? {
          ownImprovement: relativeImprovement(losses.ownBefore, losses.ownAfter),
          randomImprovement: relativeImprovement(losses.randomBefore, losses.randomAfter),
          ...assignmentFigures(gauntlet(losses, minAssignmentGap)),
        }
      : {}),
  };
}

/** The assignment gap and, where the trainer reported per-batch losses, its standard error. */
function assignmentFigures(verdict: { assignmentGap: number; assignmentStdError: number }): Pick<PeerReport, 'assignmentGap' | 'assignmentStdError'> {
  return { assignmentGap: verdict.assignmentGap, ...(Number.isFinite(verdict.assignmentStdError) ? { assignmentStdError: verdict.assignmentStdError } : {}) };
}

/** What an update is made of, for a window's one-line summary: ` x0.98<-4` (a copy of uid 4's), ` x0.98~4` (a tie with uid 4's that could not be ordered), or nothing. */
export function madeOfNote(p: Pick<PeerReport, 'copiedFrom' | 'tiedWith' | 'explained'>): string {
  if (p.copiedFrom) return ` x${(p.explained ?? 1).toFixed(2)}<-${p.copiedFrom.join('+')}`;
  if (p.tiedWith) return ` x${(p.explained ?? 1).toFixed(2)}~${p.tiedWith.join('+')}`;
  return '';
}
