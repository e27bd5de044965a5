import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { descend, stagePayload, weightsDigest, type StagedPayload } from '../../main/adapters/codec';
import type {
  ApplyOuterRequest,
  ApplyOuterResult,
  PayloadVerdict,
  PrepareOuterRequest,
  StagePayloadRequest,
  StepProgress,
  TrainerPort,
  TrainWindowRequest,
  TrainWindowResult,
} from '../../main/ports/trainer-port';
import type { PayloadTemplate } from './payload-template';

/** The stand-in trains nothing, so it has no loss to report; the ledger and the round state take a number (NaN would not survive JSON). */
const NO_LOSS = 0;

/**
 * The outer learning rate the stand-in steps with: the cost does not depend
 * on it, and the weights are never trained, so the real manifest's would
 * only let them drift over many windows.
 */
const ONE_LR = 1e-6;

/**
 * How the outer step is paid: run for real on weights of the model's size
 * (the codec's in-place step and the trainer's model digest, as the trainer
 * runs them), or slept for a cost measured on a slice (per payload, and once).
 */
export type AggregateCost = { kind: 'real'; parameters: number } | { kind: 'extrapolated'; perPayloadSeconds: number; fixedSeconds: number };

export interface StandInTrainerOptions {
  template: PayloadTemplate;
  /** Seconds of inner-step compute per window (from a tokens/s figure or a published window length), slept. */
  computeSeconds: number;
  tokensPerWindow: number;
  /** The decoder's limit on a payload's values: the model's parameter count. */
  maxValues: number;
  aggregate: AggregateCost;
}

/** What the stand-in did in one window, in seconds, for the benchmark's table. */
export interface StandInWindow {
  /** The staging of each gathered payload (the codec's full check and decode, kept for the outer step), summed (real at every size). */
  checkSeconds: number;
  checked: number;
  /** The outer step after the compute: the aggregate of the staged payloads applied to the weights in place, and their digest (real or extrapolated); what was left of it when it was made beside the compute. */
  aggregateSeconds: number;
  /** Whether the step was made beside the compute (prepareOuter). */
  prepared: boolean;
  aggregated: number;
}

/**
 * The round benchmark's trainer at model sizes this machine cannot train:
 * it stands in for the GPU's inner steps with a sleep of the window's
 * compute time, and writes a real codec payload of the model (the
 * template) as its update. Everything the round costs besides the inner
 * steps is real where this machine can hold it, done as the trainer does
 * it: each gathered payload is staged when it arrives (decoded and fully
 * validated once, and held decoded), and the outer step applies the staged
 * payloads' aggregate to weights of the model's size in place and digests
 * them (`aggregate: real`); where the model's weights do not fit in memory,
 * it sleeps for the cost measured on a slice and scaled to the model (per
 * payload and once per step). A step named beforehand (prepareOuter, once
 * the gather has staged its payloads) is made beside the compute, and the
 * step after the compute waits only for what is left of it. The weights are not trained, so checkpoints
 * and reverts are no-ops.
 */
export class StandInTrainer implements TrainerPort {
  readonly windows = new Map<number, StandInWindow>();
  private readonly staged = new Map<string, StagedPayload>();
  /** The outer step named by prepareOuter: being made, or made (its weights and digest; null when extrapolated or failed). */
  private preparation: { window: number; keys: string; lr: number; done: Promise<{ weights: Float32Array; digest: string } | null> } | null = null;
  /** The outer step in progress, if any. */
  private applying: Promise<unknown> = Promise.resolve();
  /** The model's weights (real outer step only), in the payload's tensor order; committed up front so the digest reads real memory. */
  private weights: Float32Array | null;

  constructor(private readonly options: StandInTrainerOptions) {
    this.weights = options.aggregate.kind === 'real' ? new Float32Array(options.aggregate.parameters).fill(0.01) : null;
  }

  private figures(window: number): StandInWindow {
    let f = this.windows.get(window);
    if (!f) this.windows.set(window, (f = { checkSeconds: 0, checked: 0, aggregateSeconds: 0, aggregated: 0, prepared: false }));
    return f;
  }

  async trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    const { computeSeconds, tokensPerWindow, template } = this.options;
    const started = performance.now();
    const steps = request.innerSteps;
    for (let step = 1; step <= steps; step++) {
      // Each step ends at its share of the window's compute time, so the steps do not drift.
      const due = started + (computeSeconds * 1000 * step) / steps;
      await sleep(Math.max(0, due - performance.now()));
      onStep({ step, steps, loss: NO_LOSS, tokensPerSecond: tokensPerWindow / computeSeconds });
    }
    // The update: the model's payload, linked (a copy where links cannot be made).
    await fs.rm(request.payloadFile, { force: true });
    await fs.link(template.file, request.payloadFile).catch(() => fs.copyFile(template.file, request.payloadFile));
    return { payloadFile: request.payloadFile, loss: NO_LOSS, steps, tokens: tokensPerWindow, computeSeconds: (performance.now() - started) / 1000 };
  }

  async stagePayload(request: StagePayloadRequest): Promise<PayloadVerdict> {
    const started = performance.now();
    const verdict = await this.stage(request.file, request.expectedK);
    const f = this.figures(Number(request.key.split('/')[0]));
    f.checkSeconds += (performance.now() - started) / 1000;
    f.checked += 1;
    if (!verdict.ok) return { ok: false, reason: `${verdict.field}: ${verdict.message}` };
    // Held decoded for the outer step where it runs for real; above that, 21 decoded 72B updates (3 bytes a
    // kept value: 71 GB) would not fit this machine, and the step is slept: the decode was the cost that counts.
    if (this.weights) this.staged.set(request.key, verdict.payload);
    return { ok: true };
  }

  private async stage(file: string, expectedK?: number) {
    const bytes = await fs.readFile(file);
    return stagePayload(bytes, { maxValues: this.options.maxValues, ...(expectedK === undefined ? {} : { expectedK }) });
  }

  async unstage(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.staged.delete(key);
  }

  /**
   * The outer step named before it is due, made beside the compute as the
   * trainer makes it (prepare_outer): on a copy of the weights, then their
   * digest; or, extrapolated, the step's cost starts running now. The step
   * after the compute then waits for what is left of it, if anything.
   */
  async prepareOuter(request: PrepareOuterRequest): Promise<boolean> {
    // The weights must not change under the copy: an outer step in progress ends first.
    await this.applying;
    let done: Promise<{ weights: Float32Array; digest: string } | null>;
    if (this.weights) {
      const payloads = request.staged.map((key) => this.staged.get(key));
      if (payloads.some((p) => p === undefined)) return false;
      const base = this.weights;
      done = (async () => {
        const next = await copyYielding(base);
        await descend(payloads as StagedPayload[], next, ONE_LR);
        return { weights: next, digest: await weightsDigest(next) };
      })().catch(() => null);
    } else {
      done = sleep(this.extrapolatedSeconds(request.staged.length) * 1000).then(() => null);
    }
    this.preparation = { window: request.window, keys: request.staged.join('\n'), lr: request.lr, done };
    return true;
  }

  async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    const work = this.outerStep(request);
    this.applying = work.catch(() => undefined);
    return work;
  }

  private async outerStep(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    const started = performance.now();
    let modelDigest: string | null = null;
    const preparation = this.preparation;
    this.preparation = null;
    const matches = preparation !== null && preparation.window === request.window && preparation.lr === request.lr && preparation.keys === (request.staged ?? []).join('\n');
    let prepared = false;
    if (preparation && matches) {
      const made = await preparation.done;
      if (made && this.weights) {
        this.weights = made.weights;
        modelDigest = made.digest;
        prepared = true;
      } else if (!this.weights) {
        prepared = true;
      }
    } else if (preparation) {
      // Another step than the one named: it ends, and is thrown away.
      await preparation.done;
    }
    if (!prepared && this.weights) {
      // The staged payloads by key, as the trainer applies them; a file not staged is staged now (the trainer's fallback).
      const payloads: StagedPayload[] = [];
      for (const [i, file] of request.payloadFiles.entries()) {
        const held = request.staged?.[i] === undefined ? undefined : this.staged.get(request.staged[i]!);
        if (held) payloads.push(held);
        else {
          const verdict = await this.stage(file);
          if (!verdict.ok) throw new Error(`payload ${file} refused: ${verdict.message}`);
          payloads.push(verdict.payload);
        }
      }
      const result = await descend(payloads, this.weights, ONE_LR);
      if (result.droppedPeers.length > 0) throw new Error(`the codec dropped ${result.droppedPeers.length} payloads: ${result.droppedPeers[0]?.message}`);
      modelDigest = await weightsDigest(this.weights);
    } else if (!prepared) {
      await sleep(this.extrapolatedSeconds(request.payloadFiles.length) * 1000);
    }
    for (const key of request.staged ?? []) this.staged.delete(key);
    const seconds = (performance.now() - started) / 1000;
    const f = this.figures(request.window);
    f.aggregateSeconds += seconds;
    f.aggregated += request.payloadFiles.length;
    if (prepared) f.prepared = true;
    return { modelDigest, computeSeconds: seconds, prepared };
  }

  /** The extrapolated outer step's seconds for this many payloads (0 with a real one). */
  private extrapolatedSeconds(payloads: number): number {
    const cost = this.options.aggregate;
    return cost.kind === 'extrapolated' ? cost.perPayloadSeconds * payloads + cost.fixedSeconds : 0;
  }

  async checkpoint(): Promise<void> {}

  async revertWindow(): Promise<void> {}
}

/**
 * A copy of the weights made a slice at a time, letting the event loop run
 * between slices: copying 4.9 GB at once stalls everything else in this
 * process for seconds, the devnet's chain node included, whose late block
 * then stretches the chain's window (seen in a 1B run: 284.7 s for 276 s).
 */
async function copyYielding(from: Float32Array): Promise<Float32Array> {
  const to = new Float32Array(from.length);
  const slice = 16 * 1024 * 1024;
  for (let at = 0; at < from.length; at += slice) {
    to.set(from.subarray(at, Math.min(from.length, at + slice)), at);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return to;
}
