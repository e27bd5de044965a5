import type { StateCreator } from 'zustand';
import type { WalletStatus } from '../../../../contract/domains/wallet';

/**
 * Wallet state in the UI: addresses, flags and warnings only. Secrets never
 * enter the store: passphrases live in form fields until sent, and the
 * one-time recovery phrase is held by the reveal dialog's local state.
 */
export interface WalletSliceState {
  walletStatus: WalletStatus | null;
  /** What the wallet page is doing right now, for a spinner ("creating", "importing"…). */
  walletBusy: string | null;
  walletError: string | null;
}

export interface WalletActions {
  receiveWalletStatus(status: WalletStatus): void;
  setWalletBusy(busy: string | null): void;
  setWalletError(error: string | null): void;
}

export type WalletStore = WalletSliceState & WalletActions;

export const initialWalletState: WalletSliceState = { walletStatus: null, walletBusy: null, walletError: null };

export const createWalletSlice: StateCreator<WalletStore, [], [], WalletActions> = (set) => ({
  receiveWalletStatus: (walletStatus) => set({ walletStatus }),
  setWalletBusy: (walletBusy) => set({ walletBusy }),
  setWalletError: (walletError) => set({ walletError }),
});

export const walletSelectors = {
  status: (s: WalletStore) => s.walletStatus ?? null,
  wallets: (s: WalletStore) => s.walletStatus?.wallets ?? EMPTY,
  active: (s: WalletStore) => s.walletStatus?.wallets.find((w) => w.name === s.walletStatus?.active) ?? null,
  unlocked: (s: WalletStore) => s.walletStatus?.unlockedHotkey ?? null,
  machineWarnings: (s: WalletStore) => s.walletStatus?.machineWarnings ?? NO_WARNINGS,
  keychainAvailable: (s: WalletStore) => s.walletStatus?.keychainAvailable ?? false,
  busy: (s: WalletStore) => s.walletBusy ?? null,
  error: (s: WalletStore) => s.walletError ?? null,
};

const EMPTY: WalletStatus['wallets'] = [];
const NO_WARNINGS: WalletStatus['machineWarnings'] = [];
