import { describe, expect, it } from 'vitest';
import { median } from '../../../main/core/median';
import { clippedLr, fingerprint } from '../../../main/services/validator/payload-fingerprint';
import { decodeSyncReport, encodeSyncReport, ModelBasis, modelProofKey } from '../../../main/services/round/sync-report';

describe('payload fingerprint', () => {
  it('lists kept coordinates as global indices across tensors and the update norm', () => {
    const print = fingerprint([
      { name: 'a', shape: [4], data: Float32Array.from([0, 3, 0, 0]) },
      { name: 'b', shape: [2, 2], data: Float32Array.from([0, 0, 4, 0]) },
    ]);
    // a keeps index 1; b (offset 4) keeps its index 2 → 6. Norm √(3² + 4²) = 5.
    expect([...print.indices]).toEqual([1, 6]);
    expect([...print.values]).toEqual([3, 4]);
    expect(print.norm).toBe(5);
  });

  it('median and clipping to the median norm', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    // An update twice the median norm is applied at half the step; smaller ones as they are.
    expect(clippedLr(0.8, 10, 5)).toBe(0.4);
    expect(clippedLr(0.8, 2, 5)).toBe(0.8);
    expect(clippedLr(0.8, 0, 5)).toBe(0.8);
  });
});

describe('sync report', () => {
  it('round-trips and refuses anything else', () => {
    const report = { version: 1 as const, window: 12, basedOnWindow: 11, modelDigest: '00ff00ff00ff00ff' };
    expect(decodeSyncReport(encodeSyncReport(report))).toEqual(report);
    expect(decodeSyncReport(new TextEncoder().encode('{"version":1,"window":-1}'))).toBeNull();
    expect(decodeSyncReport(new TextEncoder().encode('not json'))).toBeNull();
    expect(decodeSyncReport(new Uint8Array([0xff, 0xfe]))).toBeNull();
    expect(decodeSyncReport(null)).toBeNull();
  });

  it('the model basis moves on only when the weights change', () => {
    const basis = new ModelBasis();
    expect(basis.report(0)).toEqual({ version: 1, window: 0, basedOnWindow: null, modelDigest: null });
    basis.applied(0, 'd0');
    basis.applied(1, 'd1');
    expect(basis.report(2)).toMatchObject({ basedOnWindow: 1, modelDigest: 'd1' });
    // A peer that stopped applying reports the same digest: its model is still window 1's.
    basis.applied(2, 'd1');
    basis.applied(3, 'd1');
    expect(basis.report(4)).toMatchObject({ basedOnWindow: 1, modelDigest: 'd1' });
    // A trainer without digests still counts windows.
    const plain = new ModelBasis();
    plain.applied(5, null);
    expect(plain.report(6)).toMatchObject({ basedOnWindow: 5, modelDigest: null });
  });

  it('the report carries the proof of the model it names, keyed by this peer and that window, and only that one', async () => {
    const asked: string[][] = [];
    const trainer = {
      modelProofs: async (keys: readonly string[]) => {
        asked.push([...keys]);
        return keys.map((key) => `${key.replace(':', '')}`.padStart(16, '0'));
      },
    };
    const basis = new ModelBasis();
    await basis.prove(7, trainer); // nothing named yet: nothing to prove
    expect(asked).toEqual([]);
    basis.applied(3, 'd3');
    await basis.prove(7, trainer);
    expect(asked).toEqual([[modelProofKey(7, 3)]]);
    expect(basis.report(5)).toEqual({ version: 1, window: 5, basedOnWindow: 3, modelDigest: 'd3', modelProof: '0000000000000073' });
    expect(decodeSyncReport(encodeSyncReport(basis.report(5)))).toEqual(basis.report(5));
    // A new model drops the old proof until it is proven; forgetting drops both digest and proof.
    basis.applied(4, 'd4');
    expect(basis.report(6).modelProof).toBeUndefined();
    basis.forget(2);
    expect(basis.report(6)).toEqual({ version: 1, window: 6, basedOnWindow: 2, modelDigest: null });
    // A trainer that cannot prove leaves the report without one.
    basis.applied(5, 'd5');
    await basis.prove(7, {});
    expect(basis.report(6).modelProof).toBeUndefined();
    // A malformed proof in an uploaded report is refused with the report.
    expect(decodeSyncReport(new TextEncoder().encode(JSON.stringify({ ...basis.report(6), modelProof: 'not-hex' })))).toBeNull();
  });
});
