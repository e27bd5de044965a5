import type { StateCreator } from 'zustand';
import type { ChainStatus, PreparedAction } from '../../../../contract/domains/chain';

export interface ChainSliceState {
  chainStatus: ChainStatus | null;
  /** A write waiting for the user's confirmation (fee shown); no secret in it. */
  pendingAction: PreparedAction | null;
}

export interface ChainActions {
  receiveChainStatus(status: ChainStatus): void;
  setPendingAction(action: PreparedAction | null): void;
}

export type ChainStore = ChainSliceState & ChainActions;

export const initialChainState: ChainSliceState = { chainStatus: null, pendingAction: null };

export const createChainSlice: StateCreator<ChainStore, [], [], ChainActions> = (set) => ({
  receiveChainStatus: (chainStatus) => set({ chainStatus }),
  setPendingAction: (pendingAction) => set({ pendingAction }),
});

const TAO = 1_000_000_000n;

/** Rao (decimal string) as TAO with up to 4 decimals, e.g. "1.2345 τ". */
export function formatTao(rao: string | null | undefined): string {
  if (rao === null || rao === undefined || !/^\d+$/.test(rao)) return '…';
  const value = BigInt(rao);
  const whole = value / TAO;
  const frac = ((value % TAO) * 10_000n) / TAO;
  return `${whole}.${frac.toString().padStart(4, '0')} τ`;
}

export const chainSelectors = {
  status: (s: ChainStore) => s.chainStatus ?? null,
  health: (s: ChainStore) => s.chainStatus?.health ?? null,
  me: (s: ChainStore) => s.chainStatus?.me ?? null,
  block: (s: ChainStore) => s.chainStatus?.block ?? null,
  balance: (s: ChainStore) => s.chainStatus?.coldkeyBalance ?? null,
  pendingAction: (s: ChainStore) => s.pendingAction ?? null,
};
