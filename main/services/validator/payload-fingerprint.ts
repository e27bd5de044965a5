import type { DecodedTensor } from '../../adapters/codec';

export interface PayloadFingerprint {
  /** Global flat indices (tensors in payload order) of the coordinates the update sent, sorted. */
  indices: Uint32Array;
  /** The decoded value at each of those indices (copy detection compares updates by what they hold). */
  values: Float32Array;
  /** L2 norm of the decoded update. */
  norm: number;
}

/** What copy detection and norm clipping need from a decoded update. */
export function fingerprint(tensors: readonly DecodedTensor[]): PayloadFingerprint {
  let count = 0;
  for (const t of tensors) for (const v of t.data) if (v !== 0) count++;
  const indices = new Uint32Array(count);
  const values = new Float32Array(count);
  let next = 0;
  let offset = 0;
  let sumSq = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i] as number;
      if (v === 0) continue;
      indices[next] = offset + i;
      values[next++] = v;
      sumSq += v * v;
    }
    offset += t.data.length;
  }
  return { indices, values, norm: Math.sqrt(sumSq) };
}


/**
 * Learning rate that applies an update clipped to the median norm of the
 * window's updates: lr · min(1, median / norm). One oversized update cannot
 * dominate, in the evaluation as in the aggregate.
 */
export function clippedLr(lr: number, norm: number, medianNorm: number): number {
  if (!(norm > 0) || !Number.isFinite(medianNorm)) return lr;
  return lr * Math.min(1, medianNorm / norm);
}
