import { describe, expect, it } from 'vitest';
import { aggregatePayloads, CodecArgumentError, descend, encodeTensors, stagePayload, type StagedPayload, weightsDigest } from '../../main/adapters/codec';
import { pseudoGradient } from './helpers';

const shapes: number[][] = [[64, 96], [200], [3, 5, 7]];
const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const total = shapes.reduce((sum, s) => sum + numel(s), 0);

async function peerPayload(seed: number, scale: number, layout = shapes): Promise<Buffer> {
  return encodeTensors(
    layout.map((shape, i) => ({ name: `t${i}`, shape, data: pseudoGradient(numel(shape), seed * 10 + i, scale) })),
    { k: 16 },
  );
}

async function staged(payload: Buffer): Promise<StagedPayload> {
  const result = await stagePayload(payload);
  if (!result.ok) throw new Error(`not staged: ${result.message}`);
  return result.payload;
}

function startWeights(): Float32Array {
  return pseudoGradient(total, 99, 0.05);
}

describe('staged payloads and the outer step in place', () => {
  it('descends the weights by lr times the aggregate, bit for bit, and reports the norm of the step', async () => {
    const payloads = await Promise.all([1, 2, 3, 4, 5].map((s) => peerPayload(s, 1e-3 * s)));
    const aggregate = await aggregatePayloads(payloads);
    const lr = 0.65;
    const weights = startWeights();
    // θ − lr·aggregate in float32, one rounding per operation, as the trainer computes it.
    const expected = new Float32Array(weights);
    const step = new Float32Array(1);
    let squares = 0;
    let offset = 0;
    for (const tensor of aggregate.tensors) {
      tensor.data.forEach((a, i) => {
        step[0] = Math.fround(lr) * a;
        expected[offset + i] = expected[offset + i]! - step[0]!;
        squares += step[0]! * step[0]!;
      });
      offset += tensor.data.length;
    }
    const result = await descend(await Promise.all(payloads.map(staged)), weights, lr);
    expect(result.usedPeers).toEqual([0, 1, 2, 3, 4]);
    expect(result.droppedPeers).toEqual([]);
    expect(Buffer.from(weights.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(result.updateNorm).toBeCloseTo(Math.sqrt(squares), 12);
    expect(result.updateNorm).toBeGreaterThan(0);
  });

  it('refuses a damaged payload when staging it, with the codec reason', async () => {
    const damaged = Buffer.from(await peerPayload(1, 1e-3));
    damaged[30] = damaged[30]! ^ 0x5a;
    const result = await stagePayload(damaged);
    expect(result).toMatchObject({ ok: false, field: 'checksum' });
  });

  it('drops a payload of another layout, and changes nothing when the weights do not fit the layout', async () => {
    const good = await Promise.all([1, 2].map((s) => peerPayload(s, 1e-3)));
    const other = await peerPayload(3, 1e-3, [[64, 96], [201], [3, 5, 7]]);
    const weights = startWeights();
    const result = await descend([await staged(good[0]!), await staged(other), await staged(good[1]!)], weights, 0.5);
    expect(result.usedPeers).toEqual([0, 2]);
    expect(result.droppedPeers).toMatchObject([{ peer: 1, code: 'LAYOUT_MISMATCH' }]);

    const short = startWeights().subarray(1);
    const before = Buffer.from(new Float32Array(short)).toString('hex');
    await expect(descend([await staged(good[0]!)], short, 0.5)).rejects.toMatchObject({ code: 'LAYOUT_MISMATCH' });
    expect(Buffer.from(new Float32Array(short)).toString('hex')).toBe(before);
  });

  it('checks its arguments before the native call', async () => {
    await expect(descend([], startWeights(), 0.5)).rejects.toBeInstanceOf(CodecArgumentError);
    await expect(descend([await staged(await peerPayload(1, 1e-3))], startWeights(), Number.NaN)).rejects.toBeInstanceOf(CodecArgumentError);
    await expect(weightsDigest(new Float64Array(4) as unknown as Float32Array)).rejects.toBeInstanceOf(CodecArgumentError);
  });

  it('digests the weights: equal weights, equal digests; one flipped bit, another digest', async () => {
    const weights = startWeights();
    const digest = await weightsDigest(weights);
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(await weightsDigest(new Float32Array(weights))).toBe(digest);
    const flipped = new Float32Array(weights);
    const bits = new Uint32Array(flipped.buffer);
    bits[1234] = bits[1234]! ^ 1;
    expect(await weightsDigest(flipped)).not.toBe(digest);
  });
});
