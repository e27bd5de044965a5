import type { MemoryFitResult, RoundEstimate } from '../../../contract/domains/hardware';
import { formatBytes, GIB } from './values';

/**
 * Will the run's model train on these GPUs, and with how large a micro-batch?
 * A first-order estimate for a LLaMA-style decoder (GQA attention, SwiGLU MLP,
 * RMSNorm, no biases) trained with mixed precision and FSDP full sharding
 * inside the node. Every constant is named below so a reader can redo the sums
 * by hand (test/unit/hardware/memory-fit.test.ts does).
 */
export interface ModelShape {
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  ffnSize: number;
  vocabSize: number;
  sequenceLength: number;
  tiedEmbeddings: boolean;
}

/** bf16 weights (2) + bf16 gradients (2) + fp32 master weights (4) + AdamW first and second moments in fp32 (4 + 4). */
export const STATIC_BYTES_PER_PARAM = 16;
/** With FSDP over N > 1 GPUs, the largest wrapped unit is gathered whole: two units of bf16 weights (current + prefetched, 2 + 2) and one of bf16 gradients (2) before its reduce-scatter. */
export const GATHER_BYTES_PER_UNIT_PARAM = 6;
/** Bytes per saved bf16 activation value. */
export const ACTIVATION_BYTES = 2;
/** Logits per token: bf16 output (2) and its fp32 copy for the cross-entropy (4). */
export const LOGIT_BYTES = 6;
/** Kept free on every GPU: CUDA context, cuBLAS/NCCL workspaces. */
export const RESERVED_BYTES = 1 * GIB;
/** Share of VRAM lost to allocator fragmentation. */
export const FRAGMENTATION_SHARE = 0.05;

export function kvWidth(m: ModelShape): number {
  return (m.hiddenSize / m.heads) * m.kvHeads;
}

/** Parameters of one decoder layer: q and o (h×h each), k and v (h×kv each), gate/up/down (h×f each), two RMSNorm weights (h each). */
export function layerParameters(m: ModelShape): number {
  const h = m.hiddenSize;
  return 2 * h * h + 2 * h * kvWidth(m) + 3 * h * m.ffnSize + 2 * h;
}

/** All parameters: layers, token embedding (V×h), LM head (V×h unless tied), final norm (h). */
export function parameterCount(m: ModelShape): number {
  return m.layers * layerParameters(m) + m.vocabSize * m.hiddenSize * (m.tiedEmbeddings ? 1 : 2) + m.hiddenSize;
}

/**
 * Activation values saved per token by one layer for the backward pass:
 * attention: norm input (h), norm output (h), q/k/v (h + 2·kv), attention output (h) = 4h + 2kv;
 * MLP: norm input (h), norm output (h), gate and up outputs (2f), SiLU(gate) (f), gate·up (f) = 2h + 4f.
 * Attention scores are not kept (flash attention recomputes them).
 */
export function layerActivationValuesPerToken(m: ModelShape): number {
  return 6 * m.hiddenSize + 2 * kvWidth(m) + 4 * m.ffnSize;
}

/** Bytes of activations for one sequence. Checkpointed: only each layer's input (h values) is kept, plus one layer being recomputed. */
export function activationBytesPerSequence(m: ModelShape, checkpointing: boolean): number {
  const layer = ACTIVATION_BYTES * layerActivationValuesPerToken(m);
  const logits = LOGIT_BYTES * m.vocabSize;
  const perToken = checkpointing ? m.layers * ACTIVATION_BYTES * m.hiddenSize + layer + logits : m.layers * layer + logits;
  return m.sequenceLength * perToken;
}

/** Weights, gradients and optimizer state per GPU, sharded over the GPUs, plus the gathered FSDP unit when sharded. */
export function staticBytesPerGpu(m: ModelShape, gpus: number, extraBytesPerParam = 0): number {
  const params = parameterCount(m);
  const sharded = ((STATIC_BYTES_PER_PARAM + extraBytesPerParam) * params) / gpus;
  const unit = Math.max(layerParameters(m), m.vocabSize * m.hiddenSize);
  return sharded + (gpus > 1 ? GATHER_BYTES_PER_UNIT_PARAM * unit : 0);
}

export function usableBytesPerGpu(vramBytes: number): number {
  return vramBytes * (1 - FRAGMENTATION_SHARE) - RESERVED_BYTES;
}

export interface FitInput {
  model: ModelShape;
  gpus: number;
  vramPerGpuBytes: number;
  /** Extra per-parameter bytes kept on the GPU (e.g. SparseLoCo error feedback if not held in host RAM). Default 0. */
  extraBytesPerParam?: number;
}

/** The largest micro-batch that fits, with and without activation checkpointing, or why none does. */
export function estimateMemoryFit(input: FitInput): MemoryFitResult {
  const { model, gpus, vramPerGpuBytes } = input;
  const extra = input.extraBytesPerParam ?? 0;
  const parameters = parameterCount(model);
  const usable = usableBytesPerGpu(vramPerGpuBytes);
  const fixed = staticBytesPerGpu(model, Math.max(1, gpus), extra);
  const perSeq = activationBytesPerSequence(model, false);
  const perSeqCkpt = activationBytesPerSequence(model, true);
  const left = usable - fixed;
  const maxMicroBatch = gpus > 0 && left > 0 ? Math.floor(left / perSeq) : 0;
  const maxMicroBatchCheckpointed = gpus > 0 && left > 0 ? Math.floor(left / perSeqCkpt) : 0;
  const fits = maxMicroBatchCheckpointed >= 1;
  let recommended: MemoryFitResult['recommended'] = null;
  if (maxMicroBatch >= 1) recommended = { microBatch: maxMicroBatch, checkpointing: false };
  else if (fits) recommended = { microBatch: maxMicroBatchCheckpointed, checkpointing: true };
  let reason: string | null = null;
  if (gpus < 1) reason = 'no GPU to train on';
  else if (!fits) {
    const need = minimumGpus(model, vramPerGpuBytes, extra);
    const shortBy = fixed + perSeqCkpt - usable;
    reason =
      left <= 0
        ? `weights, gradients and AdamW state need ${formatBytes(fixed)} per GPU over ${gpus} GPU(s), but only ${formatBytes(usable)} of each is usable`
        : `one sequence of ${model.sequenceLength} tokens needs ${formatBytes(perSeqCkpt)} of activations even with checkpointing, ${formatBytes(shortBy)} more than is left`;
    reason += need === null ? '; GPUs of this size cannot hold it at any count' : `; it needs at least ${need} GPUs of this size`;
  }
  return {
    parameters,
    gpus,
    vramPerGpuBytes,
    usableBytesPerGpu: usable,
    staticBytesPerGpu: fixed,
    activationBytesPerSequence: perSeq,
    activationBytesPerSequenceCheckpointed: perSeqCkpt,
    maxMicroBatch,
    maxMicroBatchCheckpointed,
    fits,
    recommended,
    reason,
  };
}

/** The fewest GPUs of this size that hold one checkpointed sequence, or null (up to 1024). */
export function minimumGpus(model: ModelShape, vramPerGpuBytes: number, extraBytesPerParam = 0): number | null {
  const usable = usableBytesPerGpu(vramPerGpuBytes);
  const perSeqCkpt = activationBytesPerSequence(model, true);
  for (let n = 1; n <= 1024; n++) if (staticBytesPerGpu(model, n, extraBytesPerParam) + perSeqCkpt <= usable) return n;
  return null;
}

// ---------------------------------------------------------------- rounds

/** SparseLoCo top-k density: 64 of every 4096 values (1.5625 %). */
export const SPARSELOCO_DENSITY = 64 / 4096;
/** Bits per kept value with near-bound index coding (7.36) and 2-bit levels, rounded up for framing. */
export const SPARSELOCO_BITS_PER_VALUE = 9.4;

export function payloadBytes(parameters: number, density = SPARSELOCO_DENSITY, bitsPerValue = SPARSELOCO_BITS_PER_VALUE): number {
  return (parameters * density * bitsPerValue) / 8;
}

export interface RoundInput {
  parameters: number;
  uploadBytesPerSecond: number | null;
  downloadBytesPerSecond: number | null;
  blocksPerWindow?: number;
  blockSeconds?: number;
  uploadDeadlineSeconds?: number;
  gatherPeers?: number;
}

/** Upload and gather times for one window at the measured link, and whether the upload lands before the deadline. */
export function estimateRound(input: RoundInput): RoundEstimate {
  const bytes = payloadBytes(input.parameters);
  const windowSeconds = (input.blocksPerWindow ?? 115) * (input.blockSeconds ?? 12);
  const deadlineSeconds = input.uploadDeadlineSeconds ?? 70;
  const up = input.uploadBytesPerSecond && input.uploadBytesPerSecond > 0 ? bytes / input.uploadBytesPerSecond : null;
  const down = input.downloadBytesPerSecond && input.downloadBytesPerSecond > 0 ? ((input.gatherPeers ?? 15) * bytes) / input.downloadBytesPerSecond : null;
  const communication = up !== null && down !== null ? up + down : null;
  return {
    payloadBytes: bytes,
    windowSeconds,
    uploadSeconds: up,
    downloadSeconds: down,
    deadlineSeconds,
    meetsDeadline: up === null ? null : up <= deadlineSeconds,
    computeShare: communication === null ? null : Math.max(0, Math.min(1, windowSeconds / (windowSeconds + communication))),
  };
}

// ---------------------------------------------------------------- shapes

/** The embedded devnet's model: a tiny byte-level LLaMA (its run manifest, main/devnet/devnet-manifest.ts, trains this one). */
export const DEVNET_MODEL: ModelShape = { layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, ffnSize: 172, vocabSize: 258, sequenceLength: 64, tiedEmbeddings: true };
/** LLaMA-3.2-1B. */
export const LLAMA_1B: ModelShape = { layers: 16, hiddenSize: 2048, heads: 32, kvHeads: 8, ffnSize: 8192, vocabSize: 128256, sequenceLength: 2048, tiedEmbeddings: true };
/** A 72B LLaMA-architecture model (Qwen2.5-72B proportions, no biases), the size of Covenant-72B. */
export const LLAMA_72B: ModelShape = { layers: 80, hiddenSize: 8192, heads: 64, kvHeads: 8, ffnSize: 29568, vocabSize: 152064, sequenceLength: 2048, tiedEmbeddings: false };
