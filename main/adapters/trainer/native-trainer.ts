import fs from 'node:fs';
import type { Logger } from '../../core/logging/logger';
import type { CheckpointSpacing } from './checkpoint-spacing';
import { ProcessSupervisor, type SupervisorOptions, type SupervisorState } from '../process/process-supervisor';
import {
  encodeTrainerCommand,
  parseTrainerEvent,
  TRAINER_PROTOCOL_VERSION,
  type DoneEvent,
  type HelloEvent,
  type ModelConfig,
  type StepEvent,
  type TrainerCommand,
  type TrainSettings,
} from './protocol';
import type {
  ApplyOuterRequest,
  ApplyOuterResult,
  EvaluateRequest,
  EvaluateResult,
  StagePayloadRequest,
  PayloadVerdict,
  PrepareOuterRequest,
  StepProgress,
  TrainerPort,
  TrainerThrottle,
  TrainWindowRequest,
  TrainWindowResult,
} from '../../ports/trainer-port';

export interface NativeTrainerOptions {
  executable: string;
  model: ModelConfig;
  train: TrainSettings;
  /** The token shards' folder; absent when every window and evaluation names its shards (a run that lists them by URL). */
  dataDir?: string;
  /** Written after outer steps; loaded on (re)start. */
  checkpointFile: string;
  /**
   * How often after outer steps (absent: after every one, so a crash loses at
   * most the window in progress). A spaced checkpoint can be some windows old
   * after a crash: the round engine notices (appliedWindow) and replays them.
   */
  checkpointSpacing?: CheckpointSpacing;
  /** Seeds the sampler together with the window (the validator recomputes batches from it). */
  peerId: string;
  logger: Logger;
  heartbeatSeconds?: number;
  threads?: number;
  backend?: 'auto' | 'cpu' | 'cuda';
  /** FSDP across these CUDA devices (backend cuda only), numbered as the trainer sees them. */
  devices?: readonly number[];
  /** Extra environment on top of the sanitized one (e.g. CUDA_VISIBLE_DEVICES for the chosen GPUs). */
  env?: Record<string, string>;
  onSupervisorState?(state: SupervisorState): void;
  /** Restart pacing; the supervisor's defaults otherwise (tests shorten them). */
  restartPolicy?: Pick<SupervisorOptions, 'backoff' | 'breaker'>;
}

/** Commands added after protocol 1 first shipped; a trainer without them is older than this app. */
const REQUIRED_CAPABILITIES = ['revert_window'];

/** Shard lists in train_window/evaluate: a trainer without it would ignore them and train on its data folder. */
const SHARD_LISTS = 'shard_lists';

/** model_proofs: keyed digests of the weights (the sync report's proof). */
const MODEL_PROOFS = 'model_proofs';

/** apply_outer's keep_previous and evaluate's base "previous": a validator judges updates on the model they were trained from. */
const PREVIOUS_MODEL = 'previous_model';

/** stage_payload, unstage and apply_outer's `staged`: each gathered payload decoded once. */
const STAGED_PAYLOADS = 'staged_payloads';
/** prepare_outer: the next outer step made beside the inner steps. */
const PREPARED_OUTER = 'prepared_outer';

/** The trainer's answer to a CUDA load without a usable device (PROTOCOL.md). */
export const NO_CUDA_DEVICE = 'no_cuda_device';

/** How many of the trainer's last stderr lines go into a crash-loop error (the UI shows them). */
const STDERR_IN_ERROR = 5;

/** A failure reported by the trainer, with its protocol error code. */
export class TrainerCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TrainerCommandError';
  }
}

type CommandBody = TrainerCommand extends infer C ? (C extends TrainerCommand ? Omit<C, 'v' | 'id'> : never) : never;
type ResultOf<K extends DoneEvent['cmd']> = Extract<DoneEvent, { cmd: K }>['result'];

interface Pending {
  resolve(event: DoneEvent): void;
  reject(error: Error): void;
  onStep?(event: StepEvent): void;
}

/**
 * The real trainer behind the TrainerPort: the tandem-trainer child process,
 * kept alive by the supervisor and spoken to over its NDJSON protocol. After
 * any restart it waits for `hello`, checks the protocol version, and loads the
 * last checkpoint before taking the next command.
 */
export class NativeTrainer implements TrainerPort {
  readonly supervisor: ProcessSupervisor;
  private pending = new Map<string, Pending>();
  private nextId = 1;
  private ready: Promise<HelloEvent> | null = null;
  private helloWaiters: Array<{ resolve(h: HelloEvent): void; reject(e: Error): void }> = [];
  private readonly log: Logger;
  hello: HelloEvent | null = null;
  /** The host memory the CPU trainer planned for its steps at its last load (null on a GPU, or before a load). */
  memoryPlan: NonNullable<ResultOf<'load'>['memory_plan']> | null = null;
  private currentThrottle: TrainerThrottle = { pauseMs: 0, microBatchDivisor: 1 };
  /** What the loaded weights hold: the window of their last aggregate (from `load` and each `apply_outer`). */
  private loadedWindow: number | null = null;
  /** Counts trainer processes: what one staged is gone with it. */
  private generation = 0;
  /** The keys the trainer holds staged, with the process (generation) that staged them. */
  private readonly stagedIn = new Map<string, number>();

  constructor(private readonly options: NativeTrainerOptions) {
    this.log = options.logger.child({ source: 'trainer' });
    const heartbeat = options.heartbeatSeconds ?? 5;
    this.supervisor = new ProcessSupervisor({
      command: options.executable,
      args: ['serve', '--heartbeat-seconds', String(heartbeat)],
      // Several missed heartbeats, not one: a long step can delay a beat.
      heartbeatTimeoutMs: Math.max(20_000, heartbeat * 4000),
      gracefulStopLine: encodeTrainerCommand({ v: TRAINER_PROTOCOL_VERSION, cmd: 'shutdown' }),
      logger: options.logger,
      ...(options.env ? { env: options.env } : {}),
      ...options.restartPolicy,
    });
    this.supervisor.on('line', (line) => this.onLine(line));
    this.supervisor.on('exit', ({ code, signal, expected }) => {
      this.ready = null;
      this.hello = null;
      this.generation += 1;
      const reason = expected ? 'the trainer was stopped' : `the trainer exited (${signal ?? `code ${code}`})`;
      for (const [, pending] of this.pending) pending.reject(new TrainerCommandError('exited', reason));
      this.pending.clear();
    });
    this.supervisor.on('state', (state) => {
      options.onSupervisorState?.(state);
      if (state.status === 'failed') {
        for (const waiter of this.helloWaiters.splice(0)) waiter.reject(crashLoopError(state));
      }
    });
  }

  start(): void {
    this.stopped = false;
    this.supervisor.start();
  }

  /** Set by stop(): commands after it fail at once instead of waiting for a hello that will not come. */
  private stopped = false;

  /**
   * Asks the trainer to shut down, and ends it after `graceMs` if it is still
   * busy (a window in progress is not cut short by the request; its weights
   * on disk are the last checkpoint's either way).
   */
  async stop(graceMs = 60_000): Promise<void> {
    this.stopped = true;
    await this.supervisor.stop({ graceful: true, graceMs });
    for (const waiter of this.helloWaiters.splice(0)) waiter.reject(new TrainerCommandError('not_running', 'the trainer was stopped'));
  }

  async trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    const hello = await this.ensureReady();
    if (request.shards !== undefined) this.requireShardLists(hello);
    const result = await this.request(
      {
        cmd: 'train_window',
        window: request.window,
        peer_id: this.options.peerId,
        steps: request.innerSteps,
        payload_path: request.payloadFile,
        ...(request.shards === undefined ? {} : { shards: [...request.shards] }),
      },
      // The protocol counts steps from 0 within the window; progress counts completed steps.
      (step) => onStep({ step: step.step + 1, steps: request.innerSteps, loss: step.loss ?? Number.NaN, tokensPerSecond: step.tokens_per_s, memoryBytes: step.memory_bytes }),
    );
    const r = result as ResultOf<'train_window'>;
    return { payloadFile: r.payload_path, loss: r.loss_mean ?? Number.NaN, steps: r.steps, tokens: r.tokens, computeSeconds: r.seconds };
  }

  /**
   * Decodes and checks the payload in the trainer, once; it keeps the decoded
   * update under `key` for applyOuter's `staged`. Answered by the trainer's
   * reader thread, also while a window trains.
   */
  async stagePayload(request: StagePayloadRequest): Promise<PayloadVerdict> {
    const hello = await this.ensureReady();
    if (!hello.capabilities.includes(STAGED_PAYLOADS)) throw new TrainerCommandError('unsupported_version', `the trainer ${this.options.executable} is older than this app (it cannot stage payloads): rebuild it (npm run build:native)`);
    const generation = this.generation;
    const r = (await this.request({ cmd: 'stage_payload', key: request.key, path: request.file, ...(request.expectedK === undefined ? {} : { expected_k: request.expectedK }) })) as ResultOf<'stage_payload'>;
    if (r.ok) {
      this.stagedIn.set(request.key, generation);
      return { ok: true };
    }
    this.stagedIn.delete(request.key);
    return { ok: false, reason: `${r.field}: ${r.reason}` };
  }

  async unstage(keys: readonly string[]): Promise<void> {
    const held = keys.filter((key) => this.stagedIn.get(key) === this.generation);
    for (const key of keys) this.stagedIn.delete(key);
    if (held.length === 0 || !this.hello) return;
    await this.request({ cmd: 'unstage', keys: held });
  }

  /**
   * Names the outer step to come, so that the trainer makes it while its base
   * window trains (answered at once by the trainer's reader thread). Not
   * asked of a trainer without the capability, nor with keys this trainer
   * process does not hold (a restart lost them): the step is then made by
   * applyOuter as before.
   */
  async prepareOuter(request: PrepareOuterRequest): Promise<boolean> {
    const hello = await this.ensureReady();
    if (!hello.capabilities.includes(PREPARED_OUTER)) return false;
    if (request.staged.some((key) => this.stagedIn.get(key) !== this.generation)) return false;
    await this.request({ cmd: 'prepare_outer', window: request.window, base_window: request.baseWindow, staged: [...request.staged], outer_lr: request.lr });
    return true;
  }

  async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    const hello = await this.ensureReady();
    if (request.payloadFiles.length === 0) throw new TrainerCommandError('invalid_argument', 'no valid update to apply this window');
    if (request.staged && request.staged.length !== request.payloadFiles.length) throw new TrainerCommandError('invalid_argument', 'one staged key per payload file');
    const started = Date.now();
    const staged = request.staged && hello.capabilities.includes(STAGED_PAYLOADS) && (await this.restageLost(request.staged, request.payloadFiles));
    const r = (await this.request({
      cmd: 'apply_outer',
      window: request.window,
      ...(staged ? { staged: [...staged] } : { payloads: [...request.payloadFiles] }),
      outer_lr: request.lr,
      ...(request.keepPrevious && hello.capabilities.includes(PREVIOUS_MODEL) ? { keep_previous: true } : {}),
    })) as ResultOf<'apply_outer'>;
    if (staged) for (const key of staged) this.stagedIn.delete(key);
    this.loadedWindow = r.applied_window ?? this.loadedWindow;
    for (const dropped of r.dropped) this.log.warn({ window: request.window, file: request.payloadFiles[dropped.index], reason: dropped.reason }, 'payload dropped by the trainer');
    if (this.options.checkpointSpacing?.afterOuterStep() ?? true) await this.writeCheckpoint();
    return { modelDigest: r.model_digest ?? null, computeSeconds: (Date.now() - started) / 1000, prepared: r.prepared ?? false, ...(r.preparation_skipped ? { preparationSkipped: r.preparation_skipped } : {}) };
  }

  /**
   * The staged keys, after staging again from its file each one this trainer
   * process does not hold (a restart loses them; decoded again then, once).
   * False when the trainer refuses one now: the step then reads the files,
   * and drops that payload as it always did.
   */
  private async restageLost(keys: readonly string[], files: readonly string[]): Promise<readonly string[] | false> {
    for (const [i, key] of keys.entries()) {
      if (this.stagedIn.get(key) === this.generation) continue;
      this.log.info({ key }, 'payload staged again: the trainer restarted since it was staged');
      const verdict = await this.stagePayload({ key, file: files[i] as string });
      if (!verdict.ok) return false;
    }
    return keys;
  }

  async revertWindow(window: number): Promise<void> {
    await this.ensureReady();
    const r = (await this.request({ cmd: 'revert_window' })) as ResultOf<'revert_window'>;
    // Nothing pending is normal after a restart: the checkpoint holds the weights before the window.
    if (!r.reverted) this.log.info({ window }, 'no window to revert');
  }

  async appliedWindow(): Promise<number | null> {
    await this.ensureReady();
    return this.loadedWindow;
  }

  async restoreCheckpoint(file: string): Promise<number | null> {
    await this.ensureReady();
    // The trainer's own checkpoint becomes the run's: a restart afterwards resumes from it, not from the weights before.
    await fs.promises.rename(file, this.options.checkpointFile);
    await this.load(true);
    return this.loadedWindow;
  }

  async modelProofs(keys: readonly string[]): Promise<string[] | null> {
    const hello = await this.ensureReady();
    if (!hello.capabilities.includes(MODEL_PROOFS) || keys.length === 0) return null;
    const r = (await this.request({ cmd: 'model_proofs', keys: [...keys] })) as ResultOf<'model_proofs'>;
    if (r.proofs.length !== keys.length) throw new TrainerCommandError('invalid_argument', `the trainer answered ${r.proofs.length} proofs for ${keys.length} keys`);
    return r.proofs;
  }

  async checkpoint(): Promise<void> {
    await this.ensureReady();
    await this.writeCheckpoint();
  }

  /** The trainer's checkpoint, timed for the spacing. */
  private async writeCheckpoint(): Promise<void> {
    const started = performance.now();
    await this.request({ cmd: 'checkpoint', path: this.options.checkpointFile });
    const seconds = (performance.now() - started) / 1000;
    this.options.checkpointSpacing?.wrote(seconds);
    this.log.debug({ seconds, every: this.options.checkpointSpacing?.spacing() ?? 1 }, 'checkpoint written');
  }

  /**
   * Sent straight away, even while a window trains (the trainer answers it on
   * its reader thread); remembered and re-sent after a restart.
   */
  async throttle(throttle: TrainerThrottle): Promise<void> {
    this.currentThrottle = throttle;
    if (!this.hello) return; // sent by ensureReady once the trainer is up
    const r = (await this.request({ cmd: 'throttle', pause_ms: Math.round(throttle.pauseMs), micro_batch_divisor: throttle.microBatchDivisor })) as ResultOf<'throttle'>;
    this.log.info({ pauseMs: r.pause_ms, microBatchDivisor: r.micro_batch_divisor }, 'trainer throttle applied');
  }

  async evaluate(request: EvaluateRequest): Promise<EvaluateResult> {
    const hello = await this.ensureReady();
    if (request.shards !== undefined) this.requireShardLists(hello);
    if (request.base === 'previous' && !hello.capabilities.includes(PREVIOUS_MODEL)) throw new TrainerCommandError('unsupported_version', `the trainer ${this.options.executable} is older than this app (it keeps no previous model): rebuild it (npm run build:native)`);
    const r = (await this.request({
      cmd: 'evaluate',
      peer_id: request.peerId,
      window: request.window,
      ...(request.steps === undefined ? {} : { steps: request.steps }),
      ...(request.split === undefined ? {} : { split: request.split }),
      ...(request.shards === undefined ? {} : { shards: [...request.shards] }),
      ...(request.payloadFile === undefined ? {} : { payload_path: request.payloadFile }),
      ...(request.lr === undefined ? {} : { lr: request.lr }),
      ...(request.base === undefined ? {} : { base: request.base }),
    })) as ResultOf<'evaluate'>;
    return {
      lossBefore: r.loss_before ?? Number.NaN,
      lossAfter: r.loss_after ?? null,
      ...(r.losses_before ? { lossesBefore: r.losses_before } : {}),
      ...(r.losses_after ? { lossesAfter: r.losses_after } : {}),
    };
  }

  private requireShardLists(hello: HelloEvent): void {
    if (!hello.capabilities.includes(SHARD_LISTS)) throw new TrainerCommandError('unsupported_version', `the trainer ${this.options.executable} is older than this app (it cannot take a list of shards): rebuild it (npm run build:native)`);
  }

  /** Waits for hello from the current process and loads the model (from the checkpoint when there is one). */
  private ensureReady(): Promise<HelloEvent> {
    if (!this.ready) {
      const attempt = (async () => {
        // The breaker is open: no hello will come until someone restarts the trainer.
        if (this.supervisor.state.status === 'failed') throw crashLoopError(this.supervisor.state);
        if (this.stopped) throw new TrainerCommandError('not_running', 'the trainer was stopped');
        const hello = this.hello ?? (await new Promise<HelloEvent>((resolve, reject) => this.helloWaiters.push({ resolve, reject })));
        const missing = REQUIRED_CAPABILITIES.filter((c) => !hello.capabilities.includes(c));
        if (missing.length > 0) throw new TrainerCommandError('unsupported_version', `the trainer ${this.options.executable} is older than this app (it lacks ${missing.join(', ')}): rebuild it (npm run build:native)`);
        const resume = fs.existsSync(this.options.checkpointFile);
        await this.load(resume);
        const t = this.currentThrottle;
        if (t.pauseMs > 0 || t.microBatchDivisor > 1) await this.request({ cmd: 'throttle', pause_ms: Math.round(t.pauseMs), micro_batch_divisor: t.microBatchDivisor });
        this.log.info({ backend: hello.backend, resumed: resume }, 'trainer ready');
        return hello;
      })();
      this.ready = attempt;
      attempt.catch(() => {
        if (this.ready === attempt) this.ready = null;
      });
    }
    return this.ready;
  }

  /**
   * Loads the model on the chosen backend. A CUDA load with no usable device is
   * the user's setting, not a crash: the trainer stays up, and the error says
   * how to go back to the CPU.
   */
  private async load(resume: boolean): Promise<void> {
    try {
      const loaded = (await this.request({
        cmd: 'load',
        ...(resume ? { checkpoint: this.options.checkpointFile } : { model: this.options.model }),
        ...(this.options.dataDir ? { data_dir: this.options.dataDir } : {}),
        train: this.options.train,
        backend: this.options.backend ?? 'auto',
        ...(this.options.devices === undefined ? {} : { devices: [...this.options.devices] }),
        ...(this.options.threads === undefined ? {} : { threads: this.options.threads }),
      })) as ResultOf<'load'>;
      this.loadedWindow = loaded.applied_window ?? null;
      this.memoryPlan = loaded.memory_plan ?? null;
      if (this.memoryPlan) this.log.info({ stepBytes: this.memoryPlan.step_bytes, microBatch: loaded.micro_batch }, 'trainer memory planned (CPU)');
    } catch (error) {
      if (error instanceof TrainerCommandError && error.code === NO_CUDA_DEVICE) {
        throw new TrainerCommandError(NO_CUDA_DEVICE, `GPU training could not start: ${error.message.replace(/\.$/, '')}. GPU training is experimental and needs an NVIDIA GPU with its driver; switch Settings → Train on back to CPU, then join again`);
      }
      throw error;
    }
  }

  private request(body: CommandBody, onStep?: (event: StepEvent) => void): Promise<DoneEvent['result']> {
    const id = String(this.nextId++);
    const line = encodeTrainerCommand({ ...body, v: TRAINER_PROTOCOL_VERSION, id } as TrainerCommand);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (event) => resolve(event.result), reject, ...(onStep ? { onStep } : {}) });
      if (!this.supervisor.send(line)) {
        this.pending.delete(id);
        reject(new TrainerCommandError('not_running', 'the trainer is not running'));
      }
    });
  }

  private onLine(line: string): void {
    let event;
    try {
      event = parseTrainerEvent(line);
    } catch (error) {
      this.log.warn({ line: line.slice(0, 200), err: error }, 'trainer line outside the protocol');
      return;
    }
    switch (event.event) {
      case 'hello':
        if (event.protocol !== TRAINER_PROTOCOL_VERSION) {
          const error = new TrainerCommandError('unsupported_version', `the trainer speaks protocol ${event.protocol}; this app needs ${TRAINER_PROTOCOL_VERSION}: rebuild it (npm run build:native)`);
          for (const waiter of this.helloWaiters.splice(0)) waiter.reject(error);
          void this.supervisor.stop({ graceful: false });
          return;
        }
        this.hello = event;
        for (const waiter of this.helloWaiters.splice(0)) waiter.resolve(event);
        return;
      case 'step':
        if (event.id !== null) this.pending.get(String(event.id))?.onStep?.(event);
        return;
      case 'done': {
        const pending = event.id === null ? undefined : this.pending.get(String(event.id));
        if (pending) {
          this.pending.delete(String(event.id));
          pending.resolve(event);
        }
        return;
      }
      case 'error': {
        const pending = event.id === null ? undefined : this.pending.get(String(event.id));
        if (pending) {
          this.pending.delete(String(event.id));
          pending.reject(new TrainerCommandError(event.code, event.message));
        } else this.log.warn({ code: event.code, message: event.message }, 'trainer error outside a command');
        return;
      }
      default:
        return;
    }
  }
}

/** The breaker opened: say why, with the trainer's own last words, so the UI can show them. */
function crashLoopError(state: SupervisorState): TrainerCommandError {
  const why = state.lastError ?? 'the trainer keeps crashing';
  const lines = state.lastStderr.slice(-STDERR_IN_ERROR);
  return new TrainerCommandError('crash_loop', lines.length > 0 ? `${why}; its last output: ${lines.join(' | ')}` : why);
}
