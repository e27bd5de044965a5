/**
 * The tandem-trainer NDJSON protocol, version 1 (native/trainer/PROTOCOL.md):
 * zod schemas for every command the supervisor sends and every event the
 * trainer emits, so both directions are validated where they are received.
 * Keep in sync with native/trainer/src/protocol/ (the server and its command handlers).
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';

export const TRAINER_PROTOCOL_VERSION = 1;

const version = z.literal(TRAINER_PROTOCOL_VERSION);
const commandId = z.union([z.string().min(1), z.number().int()]);
const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const path = z.string().min(1);
/** A staged payload's key (stage_payload), chosen by the caller: e.g. "window/uid". */
const stagedKey = z.string().min(1).max(256);
const outerMode = z.enum(['sparseloco', 'diloco']);
/**
 * Token shard files (llm.c .bin or .npy) in the order the sampler indexes
 * them; callers sort them as a data directory is sorted (bytewise by file
 * name, native/trainer/DATA.md), so a list and a folder of the same files
 * give the same batches.
 */
const shardList = z
  .array(path.refine((p) => isAbsolute(p), { message: 'a shard must be an absolute path' }))
  .min(1)
  .refine((paths) => new Set(paths).size === paths.length, { message: 'shards must not name a file twice' });

/** LLaMA-style model config; Hugging Face LlamaConfig field names. */
export const ModelConfigSchema = z
  .object({
    vocab_size: positiveInt.optional(),
    hidden_size: positiveInt.optional(),
    num_hidden_layers: positiveInt.optional(),
    num_attention_heads: positiveInt.optional(),
    num_key_value_heads: positiveInt.optional(),
    intermediate_size: positiveInt.optional(),
    max_position_embeddings: positiveInt.optional(),
    rope_theta: z.number().positive().optional(),
    rms_norm_eps: z.number().positive().optional(),
    tie_word_embeddings: z.boolean().optional(),
    initializer_range: z.number().positive().optional(),
    init_seed: nonNegativeInt.optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** Run-level training settings; absent fields keep the trainer's defaults. */
export const TrainSettingsSchema = z
  .object({
    lr: z.number().positive().optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    eps: z.number().positive().optional(),
    weight_decay: z.number().nonnegative().optional(),
    warmup_steps: nonNegativeInt.optional(),
    total_steps: nonNegativeInt.optional(),
    min_lr_ratio: z.number().nonnegative().optional(),
    grad_clip: z.number().nonnegative().optional(),
    seq_len: positiveInt.optional(),
    batch_size: positiveInt.optional(),
    micro_batch: nonNegativeInt.optional(),
    inner_steps: positiveInt.optional(),
    outer_mode: outerMode.optional(),
    outer_lr: z.number().positive().optional(),
    diloco_momentum: z.number().min(0).lt(1).optional(),
    topk: positiveInt.optional(),
    block_size: z.number().int().min(1).max(256).optional(),
    error_feedback_beta: z.number().min(0).max(1).optional(),
  })
  .strict();
export type TrainSettings = z.infer<typeof TrainSettingsSchema>;

// ---- commands (supervisor -> trainer) ----

const base = { v: version, id: commandId.optional() };

export const LoadCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('load'),
    model: ModelConfigSchema.optional(),
    checkpoint: path.optional(),
    data_dir: path.optional(),
    /** The train / val shards, instead of data_dir's files of that split (`shards` is FSDP's rank count). */
    train_shards: shardList.optional(),
    val_shards: shardList.optional(),
    train: TrainSettingsSchema.optional(),
    /** auto = CPU until the CUDA path is validated; cuda = opt-in (experimental). */
    backend: z.enum(['auto', 'cpu', 'cuda']).optional(),
    /** CUDA device index for backend cuda. */
    device: nonNegativeInt.optional(),
    /** FSDP ranks: simulated CPU ranks (auto/cpu) or CUDA devices 0..shards-1 (cuda). */
    shards: z.number().int().min(1).max(64).optional(),
    /** FSDP over these CUDA devices (backend cuda only; distinct). */
    devices: z.array(nonNegativeInt).min(1).max(64).optional(),
    threads: nonNegativeInt.optional(),
  })
  .strict()
  .refine((c) => c.model !== undefined || c.checkpoint !== undefined, {
    message: 'load needs a model config or a checkpoint',
  })
  .refine((c) => c.devices === undefined || c.backend === 'cuda', {
    message: 'devices needs backend cuda (CPU ranks are set with shards)',
  })
  .refine((c) => c.devices === undefined || new Set(c.devices).size === c.devices.length, {
    message: 'devices must not repeat a device',
  })
  .refine((c) => c.devices === undefined || c.shards === undefined || c.shards === c.devices.length, {
    message: 'shards must equal the number of devices',
  });

export const TrainWindowCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('train_window'),
    window: nonNegativeInt,
    peer_id: z.string().min(1),
    steps: positiveInt.optional(),
    payload_path: path,
    mode: outerMode.optional(),
    /** The peer's assigned train shards for this window; absent = the loaded train data. */
    shards: shardList.optional(),
  })
  .strict();

export const ApplyOuterCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('apply_outer'),
    /** The window whose aggregate this is; kept with the weights as the model's window. */
    window: nonNegativeInt.optional(),
    /** The payload files, read and decoded by this step. */
    payloads: z.array(path).min(1).optional(),
    /** Or: the keys of payloads stage_payload decoded before, in aggregation (uid) order; sparseloco only. */
    staged: z.array(stagedKey).min(1).optional(),
    outer_lr: z.number().positive().optional(),
    mode: outerMode.optional(),
    /** Keep the model this step starts from, for evaluate's base "previous" (capability previous_model). */
    keep_previous: z.boolean().optional(),
  })
  .strict()
  .refine((c) => (c.payloads === undefined) !== (c.staged === undefined), { message: 'apply_outer takes exactly one of payloads and staged' })
  .refine((c) => c.staged === undefined || new Set(c.staged).size === c.staged.length, { message: 'staged must not name a key twice' })
  .refine((c) => c.staged === undefined || c.mode === undefined || c.mode === 'sparseloco', { message: 'staged payloads need mode sparseloco' });

/** Decodes and checks a payload once and keeps it decoded under `key`; answered at once, even while a window trains. */
export const StagePayloadCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('stage_payload'),
    key: stagedKey,
    path,
    /** The run's top-k; 0 or absent = any k. */
    expected_k: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .strict();

/**
 * Names an outer step still to come (window's aggregate of these staged payloads, applied to base_window's start):
 * the trainer makes it while base_window trains. Answered at once, even while a window trains.
 */
export const PrepareOuterCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('prepare_outer'),
    window: nonNegativeInt,
    base_window: nonNegativeInt,
    staged: z.array(stagedKey).min(1),
    outer_lr: z.number().positive(),
  })
  .strict()
  .refine((c) => new Set(c.staged).size === c.staged.length, { message: 'staged must not name a key twice' });

/** Drops staged payloads: these keys, or all without `keys`. */
export const UnstageCommandSchema = z
  .object({ ...base, cmd: z.literal('unstage'), keys: z.array(stagedKey).optional() })
  .strict();

export const EvaluateCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('evaluate'),
    peer_id: z.string().min(1),
    window: nonNegativeInt,
    steps: positiveInt.optional(),
    batch_size: positiveInt.optional(),
    split: z.enum(['train', 'val']).optional(),
    /** The shards to evaluate on, instead of a loaded split. */
    shards: shardList.optional(),
    payload_path: path.optional(),
    lr: z.number().positive().optional(),
    /** previous: on the model the last apply_outer with keep_previous started from. */
    base: z.enum(['current', 'previous']).optional(),
  })
  .strict()
  .refine((c) => c.shards === undefined || c.split === undefined, {
    message: 'split and shards exclude each other: shards name the files',
  });

export const CheckpointCommandSchema = z.object({ ...base, cmd: z.literal('checkpoint'), path }).strict();
export const RevertWindowCommandSchema = z.object({ ...base, cmd: z.literal('revert_window') }).strict();
/** Keyed digests of the weights: "uid:window" keys, one proof each (a peer's proof of the model it reports). */
export const ModelProofsCommandSchema = z
  .object({ ...base, cmd: z.literal('model_proofs'), keys: z.array(z.string().min(1).max(256)).min(1).max(100_000) })
  .strict();
export const ShutdownCommandSchema = z.object({ ...base, cmd: z.literal('shutdown') }).strict();
/** Answered at once, even while a window trains; applied between inner steps. */
export const ThrottleCommandSchema = z
  .object({
    ...base,
    cmd: z.literal('throttle'),
    /** Sleep after every inner step, in ms (0 = none). */
    pause_ms: z.number().int().min(0).max(60_000).optional(),
    /** Split each micro-batch into this many slices (1 = as chosen at load). */
    micro_batch_divisor: z.number().int().min(1).max(1024).optional(),
  })
  .strict();

export const TrainerCommandSchema = z.union([
  LoadCommandSchema,
  TrainWindowCommandSchema,
  ApplyOuterCommandSchema,
  EvaluateCommandSchema,
  CheckpointCommandSchema,
  RevertWindowCommandSchema,
  ShutdownCommandSchema,
  ThrottleCommandSchema,
  StagePayloadCommandSchema,
  UnstageCommandSchema,
  PrepareOuterCommandSchema,
  ModelProofsCommandSchema,
]);
export type TrainerCommand = z.infer<typeof TrainerCommandSchema>;
export type TrainerCommandName = TrainerCommand['cmd'];

// ---- events (trainer -> supervisor) ----

const eventId = commandId.nullable();

export const DeviceSchema = z.object({
  index: nonNegativeInt,
  name: z.string(),
  compute_capability: z.string(),
  total_bytes: nonNegativeInt,
  free_bytes: nonNegativeInt,
});

export const HelloEventSchema = z.object({
  v: version,
  event: z.literal('hello'),
  protocol: z.number().int(),
  trainer_version: z.string(),
  backend: z.enum(['cpu', 'cuda']),
  cuda_compiled: z.boolean(),
  devices: z.array(DeviceSchema),
  no_device_reason: z.string().optional(),
  capabilities: z.array(z.string()),
  /** NCCL (loaded at run time) for FSDP across GPUs; without it FSDP uses CUDA peer copies. */
  nccl: z.object({ available: z.boolean(), version: z.string().optional(), reason: z.string().optional() }),
  /** CUDA builds: what runs the GEMMs (cuBLAS loaded at run time, else the trainer's own kernels). */
  gemm: z
    .object({
      path: z.enum(['cublas', 'wmma', 'simt']),
      cublas: z.object({
        available: z.boolean(),
        version: z.string().optional(),
        library: z.string().optional(),
        reason: z.string().optional(),
      }),
    })
    .optional(),
  /**
   * What runs the CPU backend's GEMMs: OpenBLAS when the trainer was built with it (kernels/cpu_gemm.h),
   * else the trainer's own kernel, and why. Absent from trainers built before it existed.
   */
  cpu_gemm: z
    .object({
      path: z.enum(['openblas', 'reference']),
      openblas: z.object({
        available: z.boolean(),
        version: z.string().optional(),
        /** The CPU kernel set OpenBLAS picked at run time, e.g. "Haswell". */
        core: z.string().optional(),
        linkage: z.enum(['static', 'shared']).optional(),
        reason: z.string().optional(),
      }),
    })
    .optional(),
  pid: positiveInt,
});

export const PhaseSchema = z.enum([
  'idle',
  'loading',
  'training',
  'compressing',
  'aggregating',
  'evaluating',
  'checkpointing',
]);

export const PhaseEventSchema = z.object({ v: version, event: z.literal('phase'), id: eventId, phase: PhaseSchema });

export const StepEventSchema = z.object({
  v: version,
  event: z.literal('step'),
  id: eventId,
  window: nonNegativeInt,
  step: nonNegativeInt,
  inner_step: positiveInt,
  /** null when the loss was not finite (JSON has no NaN). */
  loss: z.number().nullable(),
  lr: z.number(),
  grad_norm: z.number().nullable(),
  skipped: z.boolean(),
  tokens: nonNegativeInt,
  tokens_per_s: z.number().nonnegative(),
  gflops: z.number().nonnegative(),
  memory_bytes: nonNegativeInt,
});

export const HeartbeatEventSchema = z.object({
  v: version,
  event: z.literal('heartbeat'),
  uptime_s: z.number().nonnegative(),
  busy: z.boolean(),
  phase: PhaseSchema,
  memory_bytes: nonNegativeInt,
});

export const TRAINER_ERROR_CODES = [
  'malformed_json',
  'unknown_command',
  'invalid_argument',
  'unsupported_version',
  'not_loaded',
  'io_error',
  'data_error',
  'checkpoint_error',
  'codec_error',
  'non_finite',
  'no_cuda_device',
  'internal',
  'not_staged',
] as const;
export const TrainerErrorCodeSchema = z.enum(TRAINER_ERROR_CODES);
export type TrainerErrorCode = z.infer<typeof TrainerErrorCodeSchema>;

export const ErrorEventSchema = z.object({
  v: version,
  event: z.literal('error'),
  id: eventId,
  code: TrainerErrorCodeSchema,
  message: z.string(),
});

export const LoadResultSchema = z.object({
  backend: z.enum(['cpu', 'cuda']),
  device: z.string().optional(),
  /** With FSDP: the number of ranks and the collective between them. */
  shards: positiveInt.optional(),
  collective: z.enum(['cpu', 'nccl', 'peer_copy']).optional(),
  parameters: positiveInt,
  inner_step: nonNegativeInt,
  windows_trained: nonNegativeInt,
  window_pending: z.boolean(),
  /** Window of the last aggregate the loaded weights hold (from a checkpoint), null before any. */
  applied_window: nonNegativeInt.nullable().optional(),
  model_digest: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  micro_batch: positiveInt,
  /** CPU backend only: the host memory its steps will hold, planned before they allocate it (main/services/hardware/cpu-memory-plan.ts mirrors it). */
  memory_plan: z
    .object({
      state_bytes: nonNegativeInt,
      activation_bytes_per_sequence: nonNegativeInt,
      activation_bytes: nonNegativeInt,
      preparation_bytes: nonNegativeInt,
      step_bytes: nonNegativeInt,
    })
    .optional(),
  train_candidates: nonNegativeInt,
  model: ModelConfigSchema,
  train: TrainSettingsSchema,
});

export const TrainWindowResultSchema = z.object({
  window: nonNegativeInt,
  steps: positiveInt,
  loss_first: z.number().nullable(),
  loss_last: z.number().nullable(),
  loss_mean: z.number().nullable(),
  tokens: nonNegativeInt,
  seconds: z.number().nonnegative(),
  payload_path: z.string(),
  payload_bytes: positiveInt,
  dense_bytes: positiveInt,
  mode: outerMode,
  inner_step: positiveInt,
});

export const ApplyOuterResultSchema = z.object({
  used: z.array(nonNegativeInt),
  dropped: z.array(z.object({ index: nonNegativeInt, reason: z.string() })),
  update_norm: z.number().nonnegative(),
  mode: outerMode,
  outer_lr: z.number().positive(),
  /** The trainer's digest of the weights after the step (16 hex digits, native/codec/include/tandem_codec/weights_digest.h); equal models, equal digests. */
  model_digest: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  applied_window: nonNegativeInt.optional(),
  /** Whether prepare_outer made this step beforehand (the step was then a swap). */
  prepared: z.boolean().optional(),
  /** Why a preparation asked for was not made (host memory short for its copy of the weights). */
  preparation_skipped: z.string().optional(),
});

export const EvaluateResultSchema = z.object({
  loss_before: z.number().nullable(),
  loss_after: z.number().nullable().optional(),
  /** The loss of each step's batch (their mean is loss_before / loss_after). */
  losses_before: z.array(z.number()).optional(),
  losses_after: z.array(z.number()).optional(),
  tokens: positiveInt,
});

/** ok false: the codec refused the payload (its code, field and reason); nothing is staged under the key. */
export const StagePayloadResultSchema = z.union([
  z.object({ key: z.string(), payload_bytes: nonNegativeInt, ok: z.literal(true) }),
  z.object({ key: z.string(), payload_bytes: nonNegativeInt, ok: z.literal(false), code: z.string(), field: z.string(), reason: z.string() }),
]);

export const CheckpointResultSchema = z.object({ path: z.string(), bytes: positiveInt, inner_step: nonNegativeInt });

const doneBase = { v: version, event: z.literal('done'), id: eventId };
export const DoneEventSchema = z.discriminatedUnion('cmd', [
  z.object({ ...doneBase, cmd: z.literal('load'), result: LoadResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('train_window'), result: TrainWindowResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('apply_outer'), result: ApplyOuterResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('evaluate'), result: EvaluateResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('checkpoint'), result: CheckpointResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('revert_window'), result: z.object({ reverted: z.boolean(), window: nonNegativeInt.optional() }) }),
  z.object({ ...doneBase, cmd: z.literal('shutdown'), result: z.object({}).strict() }),
  z.object({ ...doneBase, cmd: z.literal('throttle'), result: z.object({ pause_ms: nonNegativeInt, micro_batch_divisor: positiveInt }) }),
  z.object({ ...doneBase, cmd: z.literal('stage_payload'), result: StagePayloadResultSchema }),
  z.object({ ...doneBase, cmd: z.literal('unstage'), result: z.object({ released: nonNegativeInt }) }),
  z.object({ ...doneBase, cmd: z.literal('prepare_outer'), result: z.object({ queued: z.literal(true) }) }),
  z.object({ ...doneBase, cmd: z.literal('model_proofs'), result: z.object({ proofs: z.array(z.string().regex(/^[0-9a-f]{16}$/)) }) }),
]);

export const TrainerEventSchema = z.union([
  HelloEventSchema,
  PhaseEventSchema,
  StepEventSchema,
  HeartbeatEventSchema,
  ErrorEventSchema,
  DoneEventSchema,
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;
export type HelloEvent = z.infer<typeof HelloEventSchema>;
export type StepEvent = z.infer<typeof StepEventSchema>;
export type DoneEvent = z.infer<typeof DoneEventSchema>;
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;

/** Parses one stdout line of the trainer; throws (zod or JSON error) when it breaks the protocol. */
export function parseTrainerEvent(line: string): TrainerEvent {
  return TrainerEventSchema.parse(JSON.parse(line));
}

/** Validates a command and serialises it as one NDJSON line (with the newline). */
export function encodeTrainerCommand(command: TrainerCommand): string {
  return `${JSON.stringify(TrainerCommandSchema.parse(command))}\n`;
}
