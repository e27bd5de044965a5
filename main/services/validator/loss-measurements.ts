import { median } from './payload-fingerprint';
import { relativeImprovement } from './score-components';
import type { Upload } from './window-uploads';

/** One update's loss on one set of batches, before and after it is applied (and per batch, when the trainer reports them). */
export interface LossRun {
  before: number;
  after: number;
  batches: number[] | undefined;
}

/**
 * The loss runs of one window: each update on a set of batches (a peer's own,
 * named by its uid, or the window's random set), each measured once however
 * many comparisons read it, since a trainer evaluation is the validator's
 * dearest step.
 */
export class LossMeasurements {
  private readonly runs = new Map<string, LossRun>();

  constructor(private readonly run: (set: string, upload: Upload) => Promise<LossRun>) {}

  async measure(set: string, upload: Upload): Promise<void> {
    const key = `${set}|${upload.uid}`;
    if (this.runs.has(key)) return;
    this.runs.set(key, await this.run(set, upload));
  }

  get(set: string, uid: number): LossRun | undefined {
    return this.runs.get(`${set}|${uid}`);
  }

  relative(set: string, uid: number): number {
    const m = this.get(set, uid);
    return m ? relativeImprovement(m.before, m.after) : Number.NaN;
  }

  /**
   * Per batch, the update's improvement less the controls' median on that same
   * batch: pairing by batch takes each batch's difficulty out of the spread.
   */
  adjustedBatches(set: string, uid: number, others: readonly number[]): number[] | undefined {
    const own = this.get(set, uid)?.batches;
    const controlRuns = others.map((o) => this.get(set, o)?.batches);
    if (!own || controlRuns.some((c) => c?.length !== own.length)) return undefined;
    return own.map((v, i) => (controlRuns.length === 0 ? v : v - median(controlRuns.map((c) => (c as number[])[i] as number))));
  }
}
