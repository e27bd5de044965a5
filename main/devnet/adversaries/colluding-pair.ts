import fs from 'node:fs/promises';
import type { RunManifest } from '../../ports/run-manifest';
import type { StepProgress, TrainerPort, TrainWindowRequest, TrainWindowResult } from '../../ports/trainer-port';
import { PassThroughTrainer } from './pass-through-trainer';
import { windowWaitMs } from './window-wait';

/**
 * Two peers run by one person that upload the same work: one trains (on its
 * own assignment), the other uploads the same update at the same moment, so
 * that storage dates cannot say which came first. The hand-over between
 * them is in memory: they are one process, as a real pair would be one
 * operator.
 */
export class ColludingPair {
  private readonly offers = new Map<number, { promise: Promise<Uint8Array>; resolve(bytes: Uint8Array): void }>();

  private slot(window: number) {
    let slot = this.offers.get(window);
    if (!slot) {
      let resolve!: (bytes: Uint8Array) => void;
      const promise = new Promise<Uint8Array>((r) => (resolve = r));
      this.offers.set(window, (slot = { promise, resolve }));
      // Windows long gone are dropped.
      for (const old of this.offers.keys()) if (old < window - 4) this.offers.delete(old);
    }
    return slot;
  }

  offer(window: number, bytes: Uint8Array): void {
    this.slot(window).resolve(bytes);
  }

  /** The worker's update of the window, or an error after `timeoutMs` (the worker missed it). */
  take(window: number, timeoutMs: number): Promise<Uint8Array> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`colluding twin: no update from its worker in window ${window}`)), timeoutMs)));
    return Promise.race([this.slot(window).promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** The pair's worker: trains honestly and hands its update to its twin as it uploads it. */
export class ColludingWorker extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly pair: ColludingPair,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    const result = await this.inner.trainWindow(request, onStep);
    this.pair.offer(request.window, new Uint8Array(await fs.readFile(result.payloadFile)));
    return result;
  }
}

/** The pair's twin: trains nothing, and uploads the worker's update as its own the moment it has it. */
export class ColludingTwin extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly pair: ColludingPair,
    private readonly manifest: RunManifest,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest): Promise<TrainWindowResult> {
    const started = performance.now();
    await fs.writeFile(request.payloadFile, await this.pair.take(request.window, windowWaitMs(this.manifest)));
    return { payloadFile: request.payloadFile, loss: 0, steps: 0, tokens: 0, computeSeconds: (performance.now() - started) / 1000 };
  }
}
