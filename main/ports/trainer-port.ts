/**
 * What the round engine needs from a trainer. The real implementation speaks
 * the trainer's NDJSON protocol through the supervisor; tests use an
 * in-process stand-in. Payloads travel as files: the trainer writes and reads
 * them, the engine only moves bytes. A trainer that stages payloads
 * (stagePayload) decodes and checks each gathered one once, when it arrives,
 * and its outer step applies them by key without decoding them again.
 */
export interface StepProgress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSecond: number;
  /** What the trainer holds in memory after the step (device memory on a GPU, resident memory on the CPU), when it says. */
  memoryBytes?: number;
}

export interface TrainWindowRequest {
  window: number;
  innerSteps: number;
  /** Seeds the data sampler, so a validator can recompute this peer's batches. */
  peerUid: number;
  /** Where the compressed pseudo-gradient goes. */
  payloadFile: string;
  /** The peer's assigned train shards (absolute paths, sorted as native/trainer/DATA.md says); absent = the trainer's data folder. */
  shards?: readonly string[];
}

export interface TrainWindowResult {
  payloadFile: string;
  /** Mean loss over the window's last steps. */
  loss: number;
  steps: number;
  tokens: number;
  computeSeconds: number;
}

/** Loss of a peer's assigned (or held-out) batches, before and optionally after applying a payload. */
export interface EvaluateRequest {
  peerId: string;
  window: number;
  steps?: number;
  payloadFile?: string;
  lr?: number;
  split?: 'train' | 'val';
  /** The shards to evaluate on (absolute paths, sorted as native/trainer/DATA.md says), instead of `split`. */
  shards?: readonly string[];
  /**
   * 'previous': on the model the last applyOuter with `keepPrevious` started
   * from, not the current one (the model a window's updates were trained
   * from under the overlapped schedule). Refused when none is kept.
   */
  base?: 'current' | 'previous';
}

/** lossesBefore/lossesAfter: each step's batch, when the trainer reports them (a validator's gap spread comes from them). */
export interface EvaluateResult {
  lossBefore: number;
  lossAfter: number | null;
  lossesBefore?: number[];
  lossesAfter?: number[];
}

export interface ApplyOuterRequest {
  window: number;
  payloadFiles: readonly string[];
  /**
   * The keys under which stagePayload holds these payloads, one per file in
   * the same (uid) order: the step applies them without decoding them again.
   * The files stay the fallback (a restarted trainer has lost what it staged).
   */
  staged?: readonly string[];
  lr: number;
  /** Keep the model this step starts from, for evaluate's `base: 'previous'` (a validator's; one more copy of the weights). */
  keepPrevious?: boolean;
}

/** A gathered payload for the trainer to decode and check once, and keep for the outer step under `key`. */
export interface StagePayloadRequest {
  key: string;
  file: string;
  /** The run's top-k; absent = any. */
  expectedK?: number;
}

/** A payload's check, by the trainer's staging or by the codec: ok, or the reason (then nothing is kept). */
export type PayloadVerdict = { ok: true } | { ok: false; reason: string };

export interface ApplyOuterResult {
  /** Digest of the model after the step (peers in sync have the same one), when the trainer reports one. */
  modelDigest: string | null;
  computeSeconds: number;
  /** Whether prepareOuter had made the step beforehand (it was then a swap). */
  prepared?: boolean;
  /** Why a preparation asked for was not made (the trainer's host memory was short for it). */
  preparationSkipped?: string;
}

/**
 * An outer step still to come: `window`'s aggregate of these staged
 * payloads (in the step's order), to be applied to the start of
 * `baseWindow`, the window that trains meanwhile.
 */
export interface PrepareOuterRequest {
  window: number;
  baseWindow: number;
  staged: readonly string[];
  lr: number;
}

/** How hard the guard holds the trainer back; applied between inner steps, never cutting a window short. */
export interface TrainerThrottle {
  /** Sleep after every inner step. */
  pauseMs: number;
  /** Split each micro-batch into this many slices (1 = none). */
  microBatchDivisor: number;
}

export interface TrainerPort {
  trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult>;
  applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult>;
  /**
   * Optional: decodes and checks a gathered payload once, keeping the decoded
   * update for applyOuter's `staged` (the engine's gather check then uses it
   * instead of decoding the payload a first time itself). Answered even while
   * a window trains.
   */
  stagePayload?(request: StagePayloadRequest): Promise<PayloadVerdict>;
  /** Optional, with stagePayload: drops staged payloads that will not be applied. */
  unstage?(keys: readonly string[]): Promise<void>;
  /**
   * Optional, with stagePayload: makes the outer step named beside the
   * inner steps of its base window, so that the applyOuter with the same
   * window, keys and rate is a swap. Best effort: answers whether it was
   * asked of the trainer; a step it does not match is made as without it.
   */
  prepareOuter?(request: PrepareOuterRequest): Promise<boolean>;
  checkpoint(window: number): Promise<void>;
  /** Optional: trainers that can slow down mid-window (thermal and power guard). */
  throttle?(throttle: TrainerThrottle): Promise<void>;
  /**
   * Takes the weights back to where the last trained window started, with no
   * outer step: that window's aggregate is applied a window later (overlapped
   * communication), and the next window must train from the global model.
   */
  revertWindow(window: number): Promise<void>;
  /**
   * Optional: the window of the last aggregate the trainer's weights hold,
   * saved with them in its checkpoint (null before any). A restarted peer
   * replays the windows after it to rejoin the global model.
   */
  appliedWindow?(): Promise<number | null>;
  /**
   * Optional: keyed digests of the current weights, one per key ("uid:window"):
   * a peer proves with its own key that it holds the model its sync report
   * names (the plain digest is the same for every peer in sync, so it could be
   * copied); a validator computes every peer's to check them. Null when the
   * trainer cannot make them.
   */
  modelProofs?(keys: readonly string[]): Promise<string[] | null>;
  /**
   * Optional: replaces the weights with a verified checkpoint of the run (its
   * file is moved into the trainer's own checkpoint place) and answers the
   * window whose aggregate they hold. A late joiner starts from it.
   */
  restoreCheckpoint?(file: string): Promise<number | null>;
}
