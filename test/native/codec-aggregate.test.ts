import { describe, expect, it } from 'vitest';
import { aggregatePayloads, decodePayload, encodeTensors } from '../../main/adapters/codec';
import { pseudoGradient } from './helpers';

const shapes: number[][] = [[64, 96], [200], [3, 5, 7]];
const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

async function peerPayload(seed: number, scale: number): Promise<Buffer> {
  return encodeTensors(
    shapes.map((shape, i) => ({ name: `t${i}`, shape, data: pseudoGradient(numel(shape), seed * 10 + i, scale) })),
    { k: 16 },
  );
}

/**
 * Straightforward reference: dense decode, per-tensor lower-median norm clip, each
 * coordinate averaged over the peers that sent it (a decoded value is non-zero
 * exactly where its peer sent one, for this random data).
 */
async function referenceAggregate(payloads: Buffer[]): Promise<Float64Array[]> {
  const peers = await Promise.all(payloads.map((p) => decodePayload(p)));
  return shapes.map((shape, t) => {
    const norms = peers.map((tensors) => Math.hypot(...(tensors[t]?.data ?? [])));
    const median = [...norms].sort((a, b) => a - b)[Math.floor((norms.length - 1) / 2)]!;
    const out = new Float64Array(numel(shape));
    const senders = new Float64Array(numel(shape));
    peers.forEach((tensors, p) => {
      const own = norms[p]!;
      const scale = own > median ? median / own : 1;
      tensors[t]!.data.forEach((v, i) => {
        out[i] = out[i]! + v * scale;
        if (v !== 0) senders[i] = senders[i]! + 1;
      });
    });
    return out.map((v, i) => (senders[i]! > 0 ? v / senders[i]! : 0));
  });
}

describe('native aggregation', () => {
  it('matches the TypeScript reference and drops bad peers', async () => {
    const good = await Promise.all([1, 2, 3, 4].map((s) => peerPayload(s, 1e-3 * s)));
    const corrupt = Buffer.from(good[0]!);
    corrupt[30] = corrupt[30]! ^ 0x5a;
    const result = await aggregatePayloads([...good, corrupt]);
    expect(result.usedPeers).toEqual([0, 1, 2, 3]);
    expect(result.droppedPeers).toHaveLength(1);
    expect(result.droppedPeers[0]).toMatchObject({ peer: 4, field: 'checksum' });

    const expected = await referenceAggregate(good);
    result.tensors.forEach((tensor, t) => {
      expect(tensor.shape).toEqual(shapes[t]);
      const ref = expected[t]!;
      let worst = 0;
      tensor.data.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - ref[i]!));
      });
      expect(worst).toBeLessThan(1e-8);
    });
  });

  it('rejects when no payload is valid', async () => {
    await expect(aggregatePayloads([new Uint8Array(40)])).rejects.toMatchObject({
      code: 'NO_VALID_PAYLOADS',
      field: 'payloads',
    });
  });
});
