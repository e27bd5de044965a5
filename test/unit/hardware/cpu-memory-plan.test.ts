import { describe, expect, it } from 'vitest';
import { cpuActivationBytesPerSequence, cpuMicroBatch, planCpuMemory } from '../../../main/services/hardware/cpu-memory-plan';
import { parameterCount, type ModelShape } from '../../../main/services/hardware/memory-fit';

const TINY: ModelShape = { layers: 1, hiddenSize: 32, heads: 4, kvHeads: 2, ffnSize: 64, vocabSize: 258, sequenceLength: 32, tiedEmbeddings: false };

describe('the CPU trainer\u2019s memory plan', () => {
  it('counts one sequence\u2019s activations as the CPU model allocates them (worked by hand)', () => {
    // t 32, d 32, f 64, q 32, kv 16, 4 heads, 1 layer, vocabulary 258:
    // per layer 32·(5·32 + 2 + 2·32 + 2·16 + 3·64) + 4·32² = 14400 + 4096 = 18496;
    // residual streams, final norm and logits 32·(32·2 + 32 + 2 + 258) = 11392;
    // one layer's gradient scratch 32·(2·32 + 2·32 + 2·16 + 3·64) = 11264;
    // 41152 floats of 4 bytes.
    expect(cpuActivationBytesPerSequence(TINY, 32)).toBe(164_608);
    // The attention probabilities grow with the square of the sequence: 4 heads × (64² − 32²) more floats.
    expect(cpuActivationBytesPerSequence(TINY, 64) - 2 * cpuActivationBytesPerSequence(TINY, 32)).toBe(4 * 4 * (64 * 64 - 2 * 32 * 32));
  });

  it('keeps 24 bytes a parameter and one micro-batch of activations', () => {
    const plan = planCpuMemory(TINY, { seqLen: 32, batchSize: 4, availableBytes: null });
    expect(plan.parameters).toBe(parameterCount(TINY));
    expect(plan.stateBytes).toBe(24 * plan.parameters);
    expect(plan.preparationBytes).toBe(4 * plan.parameters);
    expect(plan.microBatch).toBe(4);
    expect(plan.stepBytes).toBe(plan.stateBytes + 4 * 164_608);
  });

  it('chooses the largest micro-batch dividing the batch that fits beside the quarter kept free, as the trainer does', () => {
    // 100 bytes available: 25 kept free; of the 75 left, nine whole tenths (75 / 10 rounded down, × 9 = 63) for activations.
    expect(cpuMicroBatch(8, 10, 100)).toBe(4);
    expect(cpuMicroBatch(8, 16, 100)).toBe(2);
    expect(cpuMicroBatch(6, 21, 100)).toBe(3);
    expect(cpuMicroBatch(8, 1000, 100)).toBe(1);
    // Memory that cannot be read is no bar, as in the trainer.
    expect(cpuMicroBatch(8, 1000, null)).toBe(8);
    expect(cpuMicroBatch(1, 10, 100)).toBe(1);
  });
});
