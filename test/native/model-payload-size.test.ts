import { describe, expect, it } from 'vitest';
import { encodeTensors } from '../../main/adapters/codec';
import { seededRandom } from '../../main/core/seeded-random';
import { gaussian, payloadSize, TENSOR_NAME, tensorShapes } from '../../bench/round/model-payload';
import { parameterCount, type ModelShape } from '../../main/services/hardware/memory-fit';

// bench:round sizes a 1B/8B/72B peer's payload from slices of each tensor shape (issue 20). The
// method must give what encoding the whole model gives: checked on a model small enough to encode whole.
const small: ModelShape = { layers: 2, hiddenSize: 256, heads: 4, kvHeads: 2, ffnSize: 704, vocabSize: 1024, sequenceLength: 128, tiedEmbeddings: false };

describe('payload size from slices of each tensor shape', () => {
  it('lists every parameter of the model once', () => {
    const listed = tensorShapes(small).reduce((sum, { shape, count }) => sum + count * shape.reduce((a, b) => a * b, 1), 0);
    expect(listed).toBe(parameterCount(small));
  });

  it('comes within 1 % of encoding every tensor of the model whole', async () => {
    // Seeded values: the same payloads every run. Over 30 seeds the estimate came within 0.32 % (slices of 2 and 4
    // bands; slices of 1 and 2 bands, scaled 16×, strayed up to 1.45 %, which is why a random run once failed here).
    const random = seededRandom(7);
    const tensors = tensorShapes(small).flatMap(({ shape, count }, s) =>
      Array.from({ length: count }, (_, i) => ({ name: `t${s}.${i}.`.padEnd(TENSOR_NAME.length, 'x'), shape: [...shape], data: gaussian(shape.reduce((a, b) => a * b, 1), random) })),
    );
    const whole = await encodeTensors(tensors, { k: 64, blockSize: 64 });
    // Slices of two and four bands of chunk rows at 256 columns (one and two at 704): every 2-D shape here of
    // 4+ bands is scaled up from them, up to 8×.
    const estimate = await payloadSize(small, { sliceValues: 4 * 64 * 256, random });
    expect(estimate.parameters).toBe(parameterCount(small));
    expect(Math.abs(estimate.bytes - whole.byteLength) / whole.byteLength).toBeLessThan(0.01);
    expect(estimate.bitsPerKeptValue).toBeGreaterThan(7);
    expect(estimate.bitsPerKeptValue).toBeLessThan(10);
  });
});
