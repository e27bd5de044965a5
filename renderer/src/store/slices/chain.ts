import type { StateCreator } from 'zustand';
import type { ChainActions, ChainSliceState, Store } from '../types';

export const initialChainState: ChainSliceState = { chainStatus: null, pendingAction: null };

export const createChainSlice: StateCreator<Store, [], [], ChainActions> = (set) => ({
  // Status arrives every block; keeping `me` when it did not change spares the rank and rewards cards a re-render.
  receiveChainStatus: (chainStatus) =>
    set((s) => ({ chainStatus: s.chainStatus && sameJson(s.chainStatus.me, chainStatus.me) ? { ...chainStatus, me: s.chainStatus.me } : chainStatus })),
  setPendingAction: (pendingAction) => set({ pendingAction }),
});

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

const TAO = 1_000_000_000n;

/** Rao as a TAO number for charts (precision beyond 1e-9 TAO does not matter on a plot). */
export function raoToTao(rao: string): number {
  return /^\d+$/.test(rao) ? Number(BigInt(rao)) / 1e9 : 0;
}

/** Rao (decimal string) as TAO with up to 4 decimals, e.g. "1.2345 τ". */
export function formatTao(rao: string | null | undefined): string {
  if (rao === null || rao === undefined || !/^\d+$/.test(rao)) return '…';
  const value = BigInt(rao);
  const whole = value / TAO;
  const frac = ((value % TAO) * 10_000n) / TAO;
  return `${whole}.${frac.toString().padStart(4, '0')} τ`;
}

export const chainSelectors = {
  status: (s: Store) => s.chainStatus ?? null,
  health: (s: Store) => s.chainStatus?.health ?? null,
  me: (s: Store) => s.chainStatus?.me ?? null,
  block: (s: Store) => s.chainStatus?.block ?? null,
  balance: (s: Store) => s.chainStatus?.coldkeyBalance ?? null,
  pendingAction: (s: Store) => s.pendingAction ?? null,
  target: (s: Store) => s.chainStatus?.target ?? null,
  subnetSize: (s: Store) => s.chainStatus?.subnetSize ?? null,
  lastError: (s: Store) => s.chainStatus?.lastError ?? null,
};

export type RankTrend = 'up' | 'down' | 'same' | null;

/**
 * Rank now against the epoch before (1 is best, so a smaller number is an
 * improvement). Epochs before the first payout are left out: everyone ties
 * there, which would read as a fall.
 */
export function rankTrend(entries: Array<{ rank: number | null; incentive: number }>): { trend: RankTrend; by: number } {
  const firstPaid = entries.findIndex((e) => e.incentive > 0);
  const known = (firstPaid < 0 ? [] : entries.slice(firstPaid)).map((e) => e.rank).filter((r): r is number => r !== null);
  if (known.length < 2) return { trend: null, by: 0 };
  const now = known[known.length - 1] as number;
  const before = known[known.length - 2] as number;
  return { trend: now < before ? 'up' : now > before ? 'down' : 'same', by: Math.abs(now - before) };
}

/**
 * Per-epoch rewards and the running total ending at the chain's total (which
 * also counts epochs before the history began), as chart series.
 */
export function rewardSeries(me: { cumulativeRewards: string; recentRewards: Array<{ tempoIndex: number; emission: string }> }): {
  epochs: number[];
  perEpoch: number[];
  cumulative: number[];
} {
  const epochs = me.recentRewards.map((r) => r.tempoIndex);
  const perEpoch = me.recentRewards.map((r) => raoToTao(r.emission));
  const total = raoToTao(me.cumulativeRewards);
  const cumulative: number[] = new Array<number>(perEpoch.length);
  let after = 0;
  for (let i = perEpoch.length - 1; i >= 0; i--) {
    cumulative[i] = Math.max(0, total - after);
    after += perEpoch[i] as number;
  }
  return { epochs, perEpoch, cumulative };
}
