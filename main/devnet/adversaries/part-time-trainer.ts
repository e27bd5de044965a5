import type { StepProgress, TrainWindowRequest, TrainWindowResult } from '../../ports/trainer-port';
import { PassThroughTrainer } from './pass-through-trainer';

/** The share of its window's inner steps the part-timer trains. */
export const PART_TIME_SHARE = 0.25;

/**
 * Trains honestly on its own assignment, but only a share of the window's
 * inner steps (a quarter of the batches it was given), and uploads that as
 * its window's work.
 */
export class PartTimeTrainer extends PassThroughTrainer {
  override trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    return this.inner.trainWindow({ ...request, innerSteps: Math.max(1, Math.round(request.innerSteps * PART_TIME_SHARE)) }, onStep);
  }
}
