import type { ApplyOuterRequest, ApplyOuterResult, StepProgress, TrainerPort, TrainWindowRequest, TrainWindowResult } from '../../ports/trainer-port';

/**
 * An honest trainer passed through: each adversary overrides only the step it
 * cheats on (train, or apply), so what it does differently stands alone.
 */
export class PassThroughTrainer implements TrainerPort {
  /** The inner trainer's staging, when it has one: the gather's check stays the trainer's. */
  readonly stagePayload?: TrainerPort['stagePayload'];
  readonly unstage?: TrainerPort['unstage'];
  /** The inner trainer's proofs and window of its weights: what the weights are, whatever the adversary says of them. */
  readonly modelProofs?: TrainerPort['modelProofs'];
  readonly appliedWindow?: TrainerPort['appliedWindow'];

  constructor(protected readonly inner: TrainerPort) {
    if (inner.stagePayload) this.stagePayload = (request) => inner.stagePayload!(request);
    if (inner.unstage) this.unstage = (keys) => inner.unstage!(keys);
    if (inner.modelProofs) this.modelProofs = (keys) => inner.modelProofs!(keys);
    if (inner.appliedWindow) this.appliedWindow = () => inner.appliedWindow!();
  }

  trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    return this.inner.trainWindow(request, onStep);
  }

  applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    return this.inner.applyOuter(request);
  }

  revertWindow(window: number): Promise<void> {
    return this.inner.revertWindow(window);
  }

  checkpoint(window: number): Promise<void> {
    return this.inner.checkpoint(window);
  }
}
