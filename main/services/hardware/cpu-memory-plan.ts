import { kvWidth, parameterCount, type ModelShape } from './memory-fit';

/**
 * What the trainer holds in host memory when it trains on the CPU, worked out
 * before anything runs: the same sums as the trainer's own plan
 * (native/trainer/src/train/memory_plan.cpp and micro_batch.cpp), which its
 * `load` answer reports as `memory_plan`. test/native/cpu-memory-plan.test.ts
 * holds the two equal and checks them against the resident memory a trainer
 * reports while it trains. (memory-fit.ts is the GPU's plan: bf16, flash
 * attention, FSDP; the CPU trainer keeps fp32 everything and each layer's
 * attention probabilities.)
 */

/**
 * Bytes per parameter kept for the session's life, all fp32: weights,
 * gradients, AdamW's two moments, the window's start (the pseudo-gradient's
 * base) and the outer state (SparseLoCo's error feedback or DiLoCo's momentum).
 */
export const CPU_STATE_BYTES_PER_PARAMETER = 24;
const FLOAT_BYTES = 4;

/**
 * Activations and backward scratch of one sequence of `seqLen` tokens, as the
 * CPU model allocates them (LlamaModel::allocateActivations): per layer the
 * norms, q/k/v, every head's T×T attention probabilities, the attention
 * output, the MLP's gate, up and SiLU product; the residual streams, the
 * logits; and one layer's gradients as scratch.
 */
export function cpuActivationBytesPerSequence(m: ModelShape, seqLen: number): number {
  const t = seqLen;
  const d = m.hiddenSize;
  const f = m.ffnSize;
  const qd = d;
  const kvd = kvWidth(m);
  const perLayer = t * (5 * d + 2 + 2 * qd + 2 * kvd + 3 * f) + m.heads * t * t;
  const global = t * (d * (m.layers + 1) + d + 2 + m.vocabSize);
  const scratch = t * (2 * d + 2 * qd + 2 * kvd + 3 * f);
  return FLOAT_BYTES * (perLayer * m.layers + global + scratch);
}

/**
 * The micro-batch the trainer chooses on the CPU: the largest divisor of the
 * batch whose activations fit in 9/10 of the available memory less the quarter
 * it keeps free (hostBytesToKeepFree); the whole batch when the memory is not
 * known (null), as the trainer does when it cannot read it.
 */
export function cpuMicroBatch(batchSize: number, bytesPerSequence: number, availableBytes: number | null): number {
  if (batchSize <= 1 || bytesPerSequence === 0) return Math.max(1, batchSize);
  if (availableBytes === null || availableBytes === 0) return batchSize;
  const keptFree = Math.floor(availableBytes / 4);
  const usable = availableBytes > keptFree ? Math.floor((availableBytes - keptFree) / 10) * 9 : 0;
  for (let mb = batchSize; mb > 1; mb--) if (batchSize % mb === 0 && mb * bytesPerSequence <= usable) return mb;
  return 1;
}

export interface CpuMemoryPlan {
  parameters: number;
  stateBytes: number;
  activationBytesPerSequence: number;
  microBatch: number;
  activationBytes: number;
  /** One more copy of the weights while an outer step is prepared beside the inner steps (when memory allows it). */
  preparationBytes: number;
  /** What the inner steps hold: the state and one micro-batch's activations. */
  stepBytes: number;
}

/** The CPU trainer's memory for a model trained on `seqLen`-token sequences, `batchSize` a step, on a machine with `availableBytes` free. */
export function planCpuMemory(model: ModelShape, options: { seqLen: number; batchSize: number; availableBytes: number | null }): CpuMemoryPlan {
  const parameters = parameterCount(model);
  const activationBytesPerSequence = cpuActivationBytesPerSequence(model, options.seqLen);
  const microBatch = cpuMicroBatch(options.batchSize, activationBytesPerSequence, options.availableBytes);
  const stateBytes = CPU_STATE_BYTES_PER_PARAMETER * parameters;
  const activationBytes = microBatch * activationBytesPerSequence;
  return { parameters, stateBytes, activationBytesPerSequence, microBatch, activationBytes, preparationBytes: FLOAT_BYTES * parameters, stepBytes: stateBytes + activationBytes };
}
