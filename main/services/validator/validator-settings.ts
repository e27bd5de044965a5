import { ONE_SIDED_95 } from './score-components';

/** How hard the validator looks: the knobs a run's operator may turn (`tandem validator`, the devnet). */

export interface ValidatorSettings {
  /** Peers whose loss is evaluated per window (a rotating slice); liveness, sync and copies are checked for all. */
  evalPeers: number;
  /** Batches per loss evaluation (own and random each); null: all the batches a peer trains on in a window. */
  evalSteps: number | null;
  /** Best-rated peers whose updates serve as the control on each evaluated peer's batches. */
  controlPeers: number;
  /** Jaccard overlap of kept coordinates above which the later upload is a copy. */
  copyThreshold: number;
  /** Uploads whose storage dates are this close (ms) cannot be ordered: a copy between them blames neither. */
  copyOrderToleranceMs: number;
  /** Windows a peer's model may be behind the global one (times the inner steps: the sync check's steps behind). */
  maxWindowsBehind: number;
  /** Own-data improvement must beat random-data improvement by more than this. */
  minAssignmentGap: number;
  /** A gap counts as not-own-data only this many standard errors (of its per-batch spread) below the bar. */
  assignmentConfidenceZ: number;
}

export const DEFAULT_VALIDATOR_SETTINGS: ValidatorSettings = {
  evalPeers: 6,
  evalSteps: null,
  controlPeers: 2,
  copyThreshold: 0.9,
  // HTTP dates (S3's HEAD Last-Modified on R2 and most providers) are whole seconds.
  copyOrderToleranceMs: 1000,
  maxWindowsBehind: 1,
  minAssignmentGap: 0,
  assignmentConfidenceZ: ONE_SIDED_95,
};
