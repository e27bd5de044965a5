import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decodePayload,
  encodeTensors,
  inspectPayload,
  validatePayload,
  type TensorInput,
} from '../../main/adapters/codec';
import { pseudoGradient } from './helpers';

function sampleTensors(): TensorInput[] {
  return [
    { name: 'layers.0.wq', shape: [128, 192], data: pseudoGradient(128 * 192, 1), errorFeedback: new Float32Array(128 * 192) },
    { name: 'layers.0.norm', shape: [300], data: pseudoGradient(300, 2), errorFeedback: new Float32Array(300) },
  ];
}

describe('native codec round trip', () => {
  it('encodes, inspects, validates and decodes', async () => {
    const tensors = sampleTensors();
    const payload = await encodeTensors(tensors, { k: 64, blockSize: 64, beta: 0.95 });
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(payload.subarray(0, 4).toString('latin1')).toBe('TNDC');

    const info = inspectPayload(payload);
    expect(info.version).toBe(1);
    expect(info.k).toBe(64);
    expect(info.tensors.map((t) => t.name)).toEqual(['layers.0.wq', 'layers.0.norm']);
    expect(info.tensors[0]).toMatchObject({ shape: [128, 192], chunkRows: 64, chunkCols: 64, chunkCount: 6, k: 64 });
    // 300 = 1-D: rows of the largest divisor <= 64, i.e. 60; k clamps to 60 (sent whole).
    expect(info.tensors[1]).toMatchObject({ chunkRows: 1, chunkCols: 60, chunkCount: 5, k: 60 });
    expect(info.totalBytes).toBe(payload.length);

    expect(await validatePayload(payload)).toEqual({ ok: true });

    const decoded = await decodePayload(payload);
    expect(decoded).toHaveLength(2);
    const [wq] = decoded;
    expect(wq?.shape).toEqual([128, 192]);
    expect(wq?.data).toBeInstanceOf(Float32Array);
    // Exactly k = 64 non-zeros per 4096-value chunk.
    expect(wq?.data.filter((v) => v !== 0).length).toBe(6 * 64);

    // Error feedback: e_after + sent == beta * 0 + delta.
    const first = tensors[0]!;
    for (let i = 0; i < first.data.length; i += 1) {
      const sum = first.errorFeedback![i]! + wq!.data[i]!;
      expect(Math.abs(sum - first.data[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(first.data[i]!) + 1e-12);
    }
  });

  it('is deterministic', async () => {
    const a = await encodeTensors(sampleTensors());
    const b = await encodeTensors(sampleTensors());
    expect(a.equals(b)).toBe(true);
  });

  it('rejects corrupt payloads naming the field', async () => {
    const payload = await encodeTensors(sampleTensors());
    const flipped = Buffer.from(payload);
    flipped[40] = flipped[40]! ^ 0xff;
    expect(await validatePayload(flipped)).toMatchObject({ ok: false, code: 'CHECKSUM_MISMATCH', field: 'checksum' });

    const otherVersion = Buffer.from(payload);
    otherVersion.writeUInt16LE(2, 4);
    const result = await validatePayload(otherVersion);
    expect(result).toMatchObject({ ok: false, code: 'UNSUPPORTED_VERSION', field: 'version' });
    expect(result.ok ? '' : result.message).toContain('version');

    await expect(decodePayload(otherVersion)).rejects.toBeInstanceOf(CodecError);
    await expect(decodePayload(otherVersion)).rejects.toMatchObject({ field: 'version' });
    expect(() => inspectPayload(payload.subarray(0, 20))).toThrow(/total_length|truncated/);
    await expect(decodePayload(payload, { expectedK: 32 })).rejects.toMatchObject({ code: 'INVALID_FIELD', field: 'k' });
  });

  it('reports non-finite input as a CodecError naming the tensor field', async () => {
    const data = pseudoGradient(64, 3);
    data[5] = Number.NaN;
    await expect(encodeTensors([{ name: 'w', shape: [64], data }])).rejects.toMatchObject({
      code: 'NON_FINITE_INPUT',
      field: 'delta',
    });
  });
});
