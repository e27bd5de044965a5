import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { aggregatePayloads, encodeTensors, validatePayload } from '../../main/adapters/codec';
import { parseManifest, type RunManifest } from '../../main/ports/run-manifest';
import type {
  ApplyOuterRequest,
  ApplyOuterResult,
  StagePayloadRequest,
  PayloadVerdict,
  PrepareOuterRequest,
  StepProgress,
  TrainerPort,
  TrainWindowRequest,
  TrainWindowResult,
} from '../../main/ports/trainer-port';
import { seededRandom } from '../../main/core/seeded-random';

/**
 * A stand-in trainer for round-engine tests: the "model" is one 64×256 matrix
 * pulled toward a shared target, with per-peer noise as its "data". It speaks
 * TrainerPort with real codec payloads (error feedback, top-k, 2-bit), so the
 * engine's upload, gather, validation and aggregation run for real.
 */
export class VectorTrainer implements TrainerPort {
  static readonly ROWS = 64;
  static readonly COLS = 256;
  params: Float32Array;
  private readonly target: Float32Array;
  private readonly errorFeedback: Float32Array;
  private windowStart: Float32Array | null = null;
  /** The window whose start windowStart is, while one is pending. */
  protected pendingWindow: number | null = null;
  failNextTrain: string | null = null;
  /** The next outer step fails with this message, leaving the weights as they are (a trainer error mid-apply). */
  failNextApply: string | null = null;
  stepDelayMs = 1;
  /**
   * What the real trainer writes to its checkpoint after every outer step:
   * the weights, the error feedback and the window of the aggregate applied.
   * A "restarted" trainer is made from it with `VectorTrainer.restore`.
   */
  checkpointed: { params: Float32Array; errorFeedback: Float32Array; appliedWindow: number } | null = null;
  /** The window of the last aggregate the weights hold (the checkpoint's after a restart or a restore). */
  private heldWindow: number | null = null;

  constructor(readonly uid: number) {
    const n = VectorTrainer.ROWS * VectorTrainer.COLS;
    const shared = seededRandom(12345);
    this.target = Float32Array.from({ length: n }, () => shared() * 2 - 1);
    this.params = new Float32Array(n);
    this.errorFeedback = new Float32Array(n);
  }

  loss(): number {
    let sum = 0;
    for (let i = 0; i < this.params.length; i++) sum += ((this.target[i] as number) - (this.params[i] as number)) ** 2;
    return sum / this.params.length;
  }

  digest(): string {
    return crypto.createHash('sha256').update(Buffer.from(this.params.buffer)).digest('hex').slice(0, 16);
  }

  /** The resident memory this stand-in reports at each step: a peak of 2 MB at the middle one. */
  static memoryAtStep(step: number, steps: number): number {
    return 2_000_000 - 1000 * Math.abs(step - Math.ceil(steps / 2));
  }

  /** The shards each trained window was given (window -> files), when the run lists its shards. */
  readonly shardsByWindow = new Map<number, readonly string[]>();

  async trainWindow(request: TrainWindowRequest, onStep: (p: StepProgress) => void): Promise<TrainWindowResult> {
    if (request.shards) this.shardsByWindow.set(request.window, request.shards);
    if (this.failNextTrain) {
      const reason = this.failNextTrain;
      this.failNextTrain = null;
      throw new Error(reason);
    }
    const started = Date.now();
    this.windowStart = Float32Array.from(this.params);
    this.pendingWindow = request.window;
    const noise = seededRandom(request.peerUid * 100_003 + request.window);
    for (let step = 1; step <= request.innerSteps; step++) {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i] as number;
        this.params[i] = p + 0.05 * ((this.target[i] as number) - p) + 0.01 * (noise() - 0.5);
      }
      // Resident memory as a trainer reports it: highest at the middle step, so a ledger that keeps the last would be wrong.
      onStep({ step, steps: request.innerSteps, loss: this.loss(), tokensPerSecond: 1000, memoryBytes: VectorTrainer.memoryAtStep(step, request.innerSteps) });
      await new Promise((r) => setTimeout(r, this.stepDelayMs));
    }
    const loss = this.loss();
    // Pseudo-gradient Δ = θ_start − θ_now. As in the real trainer, the local
    // weights stay trained until the outer step, which starts from θ_start.
    const delta = this.windowStart.map((s, i) => s - (this.params[i] as number));
    const payload = await encodeTensors([{ name: 'w', shape: [VectorTrainer.ROWS, VectorTrainer.COLS], data: delta, errorFeedback: this.errorFeedback }], { k: 64, blockSize: 64, beta: 0.95 });
    await fs.writeFile(request.payloadFile, payload);
    return { payloadFile: request.payloadFile, loss, steps: request.innerSteps, tokens: request.innerSteps * 1000, computeSeconds: (Date.now() - started) / 1000 };
  }

  async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    if (this.failNextApply) {
      const reason = this.failNextApply;
      this.failNextApply = null;
      throw new Error(reason);
    }
    return this.applyPayloads(request, await Promise.all(request.payloadFiles.map(async (f) => new Uint8Array(await fs.readFile(f)))));
  }

  /** The outer step from these payloads, in the order given. */
  protected async applyPayloads(request: ApplyOuterRequest, payloads: Uint8Array[]): Promise<ApplyOuterResult> {
    const started = Date.now();
    if (payloads.length > 0) {
      const { tensors } = await aggregatePayloads(payloads);
      const mean = tensors[0]!.data;
      // From θ_start of the window pending, or from the current weights when none is (catch-up, a validator).
      const base = this.windowStart ?? this.params;
      this.params = base.map((p, i) => p - request.lr * (mean[i] as number));
      this.windowStart = null;
      this.pendingWindow = null;
    }
    this.heldWindow = request.window;
    this.checkpointed = { params: Float32Array.from(this.params), errorFeedback: Float32Array.from(this.errorFeedback), appliedWindow: request.window };
    return { modelDigest: this.digest(), computeSeconds: (Date.now() - started) / 1000 };
  }

  /** A trainer started again from what `from` last checkpointed (a peer back after a crash). */
  static restore(from: VectorTrainer): VectorTrainer {
    const trainer = new VectorTrainer(from.uid);
    if (from.checkpointed) {
      trainer.params = Float32Array.from(from.checkpointed.params);
      trainer.errorFeedback.set(from.checkpointed.errorFeedback);
      trainer.checkpointed = { ...from.checkpointed };
      trainer.heldWindow = from.checkpointed.appliedWindow;
    }
    return trainer;
  }

  /**
   * What NativeTrainer.restoreCheckpoint does with the run's published
   * checkpoint: the weights, error feedback and window of `from`'s last
   * checkpoint, nothing pending. Answers the window they hold.
   */
  loadCheckpointOf(from: VectorTrainer): number | null {
    if (!from.checkpointed) return null;
    this.params = Float32Array.from(from.checkpointed.params);
    this.errorFeedback.set(from.checkpointed.errorFeedback);
    this.windowStart = null;
    this.checkpointed = { ...from.checkpointed, params: Float32Array.from(from.checkpointed.params) };
    this.heldWindow = this.checkpointed.appliedWindow;
    return this.checkpointed.appliedWindow;
  }

  /**
   * What a trainer process holds after it died and its supervisor started it
   * again: its last checkpoint, nothing pending (a checkpoint that is not
   * written after every outer step can be some windows old).
   */
  restartFromCheckpoint(): void {
    if (!this.checkpointed) return;
    this.params = Float32Array.from(this.checkpointed.params);
    this.errorFeedback.set(this.checkpointed.errorFeedback);
    this.windowStart = null;
    this.pendingWindow = null;
    this.heldWindow = this.checkpointed.appliedWindow;
  }

  /** Keyed digests of the weights (the real trainer's model_proofs: another key, another proof). */
  async modelProofs(keys: readonly string[]): Promise<string[]> {
    return keys.map((key) => crypto.createHash('sha256').update(key).update(Buffer.from(this.params.buffer)).digest('hex').slice(0, 16));
  }

  async appliedWindow(): Promise<number | null> {
    return this.heldWindow;
  }

  async checkpoint(): Promise<void> {}

  async revertWindow(): Promise<void> {
    if (this.windowStart) this.params = this.windowStart;
    this.windowStart = null;
    this.pendingWindow = null;
  }
}

/**
 * A run manifest for round-engine tests on the VectorTrainer: short windows of
 * 50 ms blocks and 5 inner steps. `windows` overrides the deadlines a test needs.
 */
export function vectorEngineManifest(root: string, name: string, windows: Partial<RunManifest['windows']> = {}): RunManifest {
  return parseManifest(
    {
      version: 1,
      name,
      protocolVersion: '1',
      model: { vocabSize: 256, hiddenSize: 64, layers: 1, heads: 4, kvHeads: 4, ffnSize: 128, sequenceLength: 16 },
      data: { shards: 'unused' },
      storage: { kind: 'filesystem', root },
      chain: { network: 'devnet', netuid: 3 },
      sparseloco: { innerSteps: 5, outerLr: 1 },
      windows: { blocksPerWindow: 10, blockSeconds: 0.05, uploadDeadlineSeconds: 2, perPeerTimeoutSeconds: 2, gatherCapSeconds: 4, ...windows },
    },
    'test',
  );
}

/**
 * A VectorTrainer that stages payloads as the native trainer does
 * (stage_payload): each payload it is given is decoded and checked once, by
 * the codec, and held for applyOuter's `staged` keys. It counts every decode
 * by the payload's digest: a staging, and a payload file read by an outer
 * step without staged keys.
 */
export class StagingVectorTrainer extends VectorTrainer {
  readonly decodes = new Map<string, number>();
  /** What it holds staged, by key (the bytes stand for the decoded update the native trainer keeps). */
  readonly staged = new Map<string, Uint8Array>();
  /** Each step applied; `prepared`: named before by prepareOuter, with these keys and rate, for this start. */
  readonly applied: Array<{ window: number; staged: boolean; peers: number; prepared: boolean }> = [];
  /** Every outer step named to it beforehand (the native trainer makes these beside the inner steps). */
  readonly preparations: PrepareOuterRequest[] = [];

  async prepareOuter(request: PrepareOuterRequest): Promise<boolean> {
    this.preparations.push({ ...request, staged: [...request.staged] });
    return true;
  }

  async stagePayload(request: StagePayloadRequest): Promise<PayloadVerdict> {
    const bytes = new Uint8Array(await fs.readFile(request.file));
    this.countDecode(bytes);
    const verdict = await validatePayload(bytes, request.expectedK === undefined ? {} : { expectedK: request.expectedK });
    if (!verdict.ok) {
      this.staged.delete(request.key);
      return { ok: false, reason: `${verdict.field}: ${verdict.message}` };
    }
    this.staged.set(request.key, bytes);
    return { ok: true };
  }

  async unstage(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.staged.delete(key);
  }

  override async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    if (this.failNextApply) return super.applyOuter(request);
    if (!request.staged) {
      const payloads = await Promise.all(request.payloadFiles.map(async (f) => new Uint8Array(await fs.readFile(f))));
      for (const bytes of payloads) this.countDecode(bytes);
      this.applied.push({ window: request.window, staged: false, peers: payloads.length, prepared: false });
      return this.applyPayloads(request, payloads);
    }
    const keys = request.staged;
    const prepared = this.preparations.some(
      (p) => p.window === request.window && p.baseWindow === this.pendingWindow && p.lr === request.lr && p.staged.length === keys.length && p.staged.every((k, i) => k === keys[i]),
    );
    const payloads = request.staged.map((key) => {
      const held = this.staged.get(key);
      if (!held) throw new Error(`not_staged: payload '${key}' is not staged`);
      return held;
    });
    const result = await this.applyPayloads(request, payloads);
    for (const key of request.staged) this.staged.delete(key);
    this.applied.push({ window: request.window, staged: true, peers: payloads.length, prepared });
    return result;
  }

  private countDecode(bytes: Uint8Array): void {
    const digest = crypto.createHash('sha256').update(bytes).digest('hex');
    this.decodes.set(digest, (this.decodes.get(digest) ?? 0) + 1);
  }
}
