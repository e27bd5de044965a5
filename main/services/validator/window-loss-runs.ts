import { median } from '../../core/median';
import { relativeImprovement, type LossMeasurements } from './score-components';
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
export class WindowLossRuns {
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

  /**
   * What the scoring reads of a peer's update (LossMeasurements): its loss on
   * its own and on the random batches, the controls' median improvement of the
   * same batches, and per batch its improvement less theirs; undefined where
   * the update was not evaluated this window.
   */
  measurementsFor(uid: number, randomSet: string, controls: readonly number[]): LossMeasurements | undefined {
    const ownSet = String(uid);
    const own = this.get(ownSet, uid);
    const random = this.get(randomSet, uid);
    if (!own || !random) return undefined;
    const others = controls.filter((c) => c !== uid);
    const control = others.length > 0 ? { own: median(others.map((o) => this.relative(ownSet, o))), random: median(others.map((o) => this.relative(randomSet, o))) } : undefined;
    const ownBatches = this.adjustedBatches(ownSet, uid, others);
    const randomBatches = this.adjustedBatches(randomSet, uid, others);
    return {
      ownBefore: own.before,
      ownAfter: own.after,
      randomBefore: random.before,
      randomAfter: random.after,
      ...(control ? { control } : {}),
      ...(ownBatches && randomBatches ? { batches: { own: ownBatches, random: randomBatches } } : {}),
    };
  }
}
