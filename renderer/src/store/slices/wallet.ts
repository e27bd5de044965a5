import type { StateCreator } from 'zustand';
import type { WalletStatus } from '../../../../contract/domains/wallet';
import type { Store, WalletActions, WalletSliceState } from '../types';

export const initialWalletState: WalletSliceState = { walletStatus: null, walletBusy: null, walletError: null };

export const createWalletSlice: StateCreator<Store, [], [], WalletActions> = (set) => ({
  receiveWalletStatus: (walletStatus) => set({ walletStatus }),
  setWalletBusy: (walletBusy) => set({ walletBusy }),
  setWalletError: (walletError) => set({ walletError }),
});

export const walletSelectors = {
  status: (s: Store) => s.walletStatus ?? null,
  wallets: (s: Store) => s.walletStatus?.wallets ?? EMPTY,
  active: (s: Store) => s.walletStatus?.wallets.find((w) => w.name === s.walletStatus?.active) ?? null,
  unlocked: (s: Store) => s.walletStatus?.unlockedHotkey ?? null,
  machineWarnings: (s: Store) => s.walletStatus?.machineWarnings ?? NO_WARNINGS,
  keychainAvailable: (s: Store) => s.walletStatus?.keychainAvailable ?? false,
  busy: (s: Store) => s.walletBusy ?? null,
  error: (s: Store) => s.walletError ?? null,
};

const EMPTY: WalletStatus['wallets'] = [];
const NO_WARNINGS: WalletStatus['machineWarnings'] = [];
