import { ONE_SIDED_95 } from './score-components';

/** How hard the validator looks: the knobs a run's operator may turn (`tandem validator`, the devnet). */

export interface ValidatorSettings {
  /** Peers whose loss is evaluated per window (a rotating slice); liveness, sync and copies are checked for all. */
  evalPeers: number;
  /** Batches per loss evaluation (own and random each); null: all the batches a peer trains on in a window. */
  evalSteps: number | null;
  /** Best-rated peers whose updates serve as the control on each evaluated peer's batches. */
  controlPeers: number;
  /** Share of an update's energy, on its own coordinates, that uploads landed before it explain, at or above which it is a copy of them (copy-detection.ts). */
  copyExplainedThreshold: number;
  /** At most this many earlier uploads are combined to explain one (a mix of two peers needs two). */
  copyMaxSources: number;
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
  copyExplainedThreshold: 0.5,
  copyMaxSources: 3,
  // HTTP dates (S3's HEAD Last-Modified on R2 and most providers) are whole seconds.
  copyOrderToleranceMs: 1000,
  maxWindowsBehind: 1,
  minAssignmentGap: 0,
  assignmentConfidenceZ: ONE_SIDED_95,
};
