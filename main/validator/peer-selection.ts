/**
 * Which peers a validator evaluates in a window: a bounded, rotating slice of
 * the registered uids, starting at a window-dependent offset, so every peer is
 * evaluated regularly and the choice can be recomputed by anyone.
 */
export function peersToEvaluate(uids: readonly number[], window: number, count: number): number[] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  if (sorted.length <= count) return sorted;
  const start = (window * count) % sorted.length;
  return Array.from({ length: count }, (_, i) => sorted[(start + i) % sorted.length] as number).sort((a, b) => a - b);
}
