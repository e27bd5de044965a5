import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { aggregatePayloads, validatePayload } from '../../main/adapters/codec';
import type {
  ApplyOuterRequest,
  ApplyOuterResult,
  PayloadVerdict,
  StagePayloadRequest,
  StepProgress,
  TrainerPort,
  TrainWindowRequest,
  TrainWindowResult,
} from '../../main/ports/trainer-port';
import type { PayloadTemplate } from './payload-template';

/** The stand-in trains nothing, so it has no loss to report; the ledger and the round state take a number (NaN would not survive JSON). */
const NO_LOSS = 0;

/** How the outer step's aggregate is paid: run by the codec for real, or slept for a cost measured on a slice (per payload, and once). */
export type AggregateCost = { kind: 'real' } | { kind: 'extrapolated'; perPayloadSeconds: number; fixedSeconds: number };

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
  /** The codec's full check of each gathered payload, summed (real at every size). */
  checkSeconds: number;
  checked: number;
  /** The outer step's decode + aggregate of the window's payloads (real or extrapolated). */
  aggregateSeconds: number;
  aggregated: number;
}

/**
 * The round benchmark's trainer at model sizes this machine cannot train:
 * it stands in for the GPU's inner steps with a sleep of the window's
 * compute time, and writes a real codec payload of the model (the
 * template) as its update. Everything the round costs besides the inner
 * steps is real where this machine can hold it: each gathered payload is
 * checked by the codec's full validation when it arrives (the real
 * trainer decodes it then), and at the outer step the codec decodes and
 * aggregates the window's payloads for real (`aggregate: real`), or, where
 * the dense model does not fit in memory, sleeps for the cost measured on a
 * slice and scaled to the model (per payload and once per step). No weights
 * are kept, so checkpoints and reverts are no-ops.
 */
export class StandInTrainer implements TrainerPort {
  readonly windows = new Map<number, StandInWindow>();
  private readonly staged = new Map<string, string>();

  constructor(private readonly options: StandInTrainerOptions) {}

  private figures(window: number): StandInWindow {
    let f = this.windows.get(window);
    if (!f) this.windows.set(window, (f = { checkSeconds: 0, checked: 0, aggregateSeconds: 0, aggregated: 0 }));
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
    const bytes = await fs.readFile(request.file);
    const verdict = await validatePayload(bytes, { maxValues: this.options.maxValues, ...(request.expectedK === undefined ? {} : { expectedK: request.expectedK }) });
    const f = this.figures(Number(request.key.split('/')[0]));
    f.checkSeconds += (performance.now() - started) / 1000;
    f.checked += 1;
    if (!verdict.ok) return { ok: false, reason: `${verdict.field}: ${verdict.message}` };
    this.staged.set(request.key, request.file);
    return { ok: true };
  }

  async unstage(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.staged.delete(key);
  }

  async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    const started = performance.now();
    const { aggregate, maxValues } = this.options;
    if (aggregate.kind === 'real') {
      const payloads = await Promise.all(request.payloadFiles.map((file) => fs.readFile(file)));
      const result = await aggregatePayloads(payloads, { maxValues });
      if (result.droppedPeers.length > 0) throw new Error(`the codec dropped ${result.droppedPeers.length} payloads: ${result.droppedPeers[0]?.message}`);
    } else {
      await sleep((aggregate.perPayloadSeconds * request.payloadFiles.length + aggregate.fixedSeconds) * 1000);
    }
    for (const key of request.staged ?? []) this.staged.delete(key);
    const seconds = (performance.now() - started) / 1000;
    const f = this.figures(request.window);
    f.aggregateSeconds += seconds;
    f.aggregated += request.payloadFiles.length;
    return { modelDigest: null, computeSeconds: seconds };
  }

  async checkpoint(): Promise<void> {}

  async revertWindow(): Promise<void> {}
}
