import type { DecodedTensor } from '../../adapters/codec';
import { standardNormal } from '../../core/standard-normal';

/**
 * What cheating peers do to an update before they upload it: their own
 * (poisoner, noise), or other peers' (the copiers). Pure functions on decoded
 * tensors; the caller encodes the result with the run's codec settings.
 */

/** Scale applied by the poisoner before encoding (the aggregate clips it back to the median norm). */
export const POISON_SCALE = 4;

export function negatedAndScaled(tensors: DecodedTensor[]): DecodedTensor[] {
  return tensors.map((t) => ({ ...t, data: t.data.map((v) => -POISON_SCALE * v) }));
}

/**
 * Gaussian noise on the update's own support (the coordinates it kept),
 * scaled to the update's norm per tensor: the same size and sparsity as an
 * honest update, no information.
 */
export function noiseOfSameNorm(tensors: DecodedTensor[], random: () => number = Math.random): DecodedTensor[] {
  return tensors.map((t) => {
    const data = new Float32Array(t.data.length);
    let normIn = 0;
    let normOut = 0;
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i] as number;
      if (v === 0) continue;
      const g = standardNormal(random);
      data[i] = g;
      normIn += v * v;
      normOut += g * g;
    }
    const scale = normOut > 0 ? Math.sqrt(normIn / normOut) : 0;
    for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) * scale;
    return { ...t, data };
  });
}

/** Keeps each sent coordinate with probability `keep`: a re-sparsified copy, fewer coordinates than the original. */
export function randomSubset(tensors: DecodedTensor[], keep: number, random: () => number = Math.random): DecodedTensor[] {
  return tensors.map((t) => ({ ...t, data: t.data.map((v) => (v !== 0 && random() < keep ? v : 0)) }));
}

/**
 * Gaussian noise added on the update's coordinates, at `relative` times the
 * root mean square of its sent values per tensor: a copy that no longer
 * matches its source value for value.
 */
export function plusNoise(tensors: DecodedTensor[], relative: number, random: () => number = Math.random): DecodedTensor[] {
  return tensors.map((t) => {
    let sum = 0;
    let sent = 0;
    for (const v of t.data) {
      if (v === 0) continue;
      sum += v * v;
      sent++;
    }
    const sigma = relative * Math.sqrt(sum / Math.max(1, sent));
    return { ...t, data: t.data.map((v) => (v !== 0 ? v + sigma * standardNormal(random) : 0)) };
  });
}

/** The mean of several peers' updates, tensor by tensor (the same model, so the same tensors in the same order). */
export function meanOf(updates: DecodedTensor[][]): DecodedTensor[] {
  const [first] = updates;
  if (!first) return [];
  return first.map((t, i) => {
    const data = new Float32Array(t.data.length);
    for (const update of updates) {
      const other = update[i];
      if (!other || other.name !== t.name || other.data.length !== t.data.length) throw new Error(`the updates mixed differ at tensor ${t.name}`);
      for (let j = 0; j < data.length; j++) data[j] = (data[j] as number) + (other.data[j] as number) / updates.length;
    }
    return { ...t, data };
  });
}
