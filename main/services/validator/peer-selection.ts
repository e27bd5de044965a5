import { seededRandom } from '../../core/seeded-random';
/**
 * Which peers a validator evaluates in a window: a bounded slice of the
 * registered uids that anyone can recompute from the window alone. Windows
 * are grouped into cycles of ceil(n / count); each cycle shuffles the peers
 * (seeded by the cycle number) and hands out consecutive slices, so every
 * peer is evaluated once per cycle and meets different peers each cycle
 * (ratings compare peers evaluated together, so fixed groups would never be
 * compared with each other).
 */
export function peersToEvaluate(uids: readonly number[], window: number, count: number): number[] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  if (sorted.length <= count) return sorted;
  const windowsPerCycle = Math.ceil(sorted.length / count);
  const cycle = Math.floor(window / windowsPerCycle);
  const order = shuffled(sorted, cycle);
  const start = (window % windowsPerCycle) * count;
  // The last slice of a cycle is topped up from the start of the order.
  return Array.from({ length: count }, (_, i) => order[(start + i) % order.length] as number).sort((a, b) => a - b);
}

/** Fisher–Yates with seededRandom (mulberry32) seeded by `seed`: the same seed, the same order, everywhere. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed ^ 0x9e3779b9);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
