import type { TrainOn } from '../../../contract/settings';
import type { Logger } from '../../core/logging/logger';
import { NativeTrainer } from './native-trainer';
import type { SupervisorState } from '../process/process-supervisor';
import type { ModelConfig, TrainSettings } from './protocol';
import { catchUpWindowsOf, type RunManifest } from '../../ports/run-manifest';
import { CheckpointSpacing } from './checkpoint-spacing';

/**
 * How a run's manifest becomes a trainer: its model and training settings in
 * the trainer's protocol terms, where it runs (Settings → Train on), and the
 * supervised trainer process itself. Every peer of a run, simulated or not,
 * and its validator build their trainer here, so they agree on the model.
 */

/** What this machine's trainer is told to load on: the backend, and the CUDA devices to shard across. */
export interface TrainerDevice {
  backend: 'cpu' | 'cuda';
  /** FSDP over these devices; absent for one device or the CPU. */
  devices?: number[];
}

/**
 * Settings → Train on, with the guard's GPU choice. CUDA_VISIBLE_DEVICES
 * (main/guard/gpu-selection.ts) already narrows the trainer to the chosen
 * GPUs and renumbers them from 0, so two or more chosen GPUs are devices
 * 0…n−1 inside the trainer. No choice (null: every GPU) trains on device 0.
 */
export function trainerDevice(trainOn: TrainOn, selectedGpus: readonly number[] | null): TrainerDevice {
  if (trainOn === 'cpu') return { backend: 'cpu' };
  const count = selectedGpus === null ? 0 : new Set(selectedGpus).size;
  return count >= 2 ? { backend: 'cuda', devices: Array.from({ length: count }, (_, i) => i) } : { backend: 'cuda' };
}

export function trainerModel(m: RunManifest['model']): ModelConfig {
  return {
    vocab_size: m.vocabSize,
    hidden_size: m.hiddenSize,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    num_key_value_heads: m.kvHeads,
    intermediate_size: m.ffnSize,
    max_position_embeddings: m.sequenceLength,
    rope_theta: m.ropeTheta,
    rms_norm_eps: m.normEps,
    tie_word_embeddings: m.tiedEmbeddings,
    // Every peer starts from the same weights, as if from the run's first checkpoint.
    init_seed: m.initSeed,
  };
}

export function trainerSettings(manifest: RunManifest): TrainSettings {
  const { optimizer: o, sparseloco: s, model } = manifest;
  return {
    lr: o.lr,
    beta1: o.beta1,
    beta2: o.beta2,
    weight_decay: o.weightDecay,
    warmup_steps: o.warmupSteps,
    grad_clip: o.gradClip,
    seq_len: model.sequenceLength,
    batch_size: o.batchSize,
    inner_steps: s.innerSteps,
    outer_lr: s.outerLr,
    topk: s.topK,
    block_size: Math.round(Math.sqrt(s.chunkSize)),
    error_feedback_beta: s.errorFeedbackBeta,
  };
}

export interface RunTrainerOptions {
  manifest: RunManifest;
  executable: string;
  /** The token shards on this machine; absent when the run lists its shards by URL (each window names its own). */
  dataDir?: string;
  /** Written after outer steps (see `spacedCheckpoints`) and loaded on (re)start. */
  checkpointFile: string;
  /**
   * A miner's trainer: checkpoints only as often as their measured cost
   * allows (CheckpointSpacing), since its round engine replays the windows
   * after an older checkpoint. Absent: after every outer step (a validator's,
   * whose model nothing replays).
   */
  spacedCheckpoints?: boolean;
  /** Seeds the sampler with the window: the uid for a miner (the validator recomputes its batches), a name otherwise. */
  peerId: string;
  logger: Logger;
  threads?: number;
  device?: TrainerDevice;
  env?: Record<string, string>;
  onSupervisorState?(state: SupervisorState): void;
}

/** A checkpoint's write may cost this share of the windows between two. */
const CHECKPOINT_SHARE = 0.01;

/**
 * A miner's checkpoint spacing: by the last write's cost against the run's
 * window, and never more windows apart than its engine replays (less one,
 * the window in progress).
 */
export function minerCheckpointSpacing(manifest: RunManifest): CheckpointSpacing {
  const { blocksPerWindow, blockSeconds } = manifest.windows;
  return new CheckpointSpacing({ windowSeconds: blocksPerWindow * blockSeconds, maxWindows: catchUpWindowsOf(manifest) - 1, share: CHECKPOINT_SHARE });
}

/** The supervised trainer process for one peer of a run (not started). */
export function runTrainer(options: RunTrainerOptions): NativeTrainer {
  return new NativeTrainer({
    executable: options.executable,
    model: trainerModel(options.manifest.model),
    train: trainerSettings(options.manifest),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    checkpointFile: options.checkpointFile,
    ...(options.spacedCheckpoints ? { checkpointSpacing: minerCheckpointSpacing(options.manifest) } : {}),
    peerId: options.peerId,
    logger: options.logger,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.env ? { env: options.env } : {}),
    ...(options.device ? { backend: options.device.backend, ...(options.device.devices ? { devices: options.device.devices } : {}) } : {}),
    ...(options.onSupervisorState ? { onSupervisorState: options.onSupervisorState } : {}),
  });
}
