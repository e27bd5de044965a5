import type { StateCreator } from 'zustand';
import type { NetworkActions, NetworkSliceState, Store } from '../types';

export const initialNetworkState: NetworkSliceState = { networkOverview: null, networkError: null };

export const createNetworkSlice: StateCreator<Store, [], [], NetworkActions> = (set) => ({
  receiveNetworkOverview: (networkOverview) => set({ networkOverview, networkError: null }),
  failNetworkOverview: (networkError) => set({ networkError }),
});

export const networkSelectors = {
  overview: (s: Store) => s.networkOverview,
  manifest: (s: Store) => s.networkOverview?.manifest ?? null,
  peers: (s: Store) => s.networkOverview?.peers ?? null,
  bandwidth: (s: Store) => s.networkOverview?.bandwidth ?? null,
  error: (s: Store) => s.networkError,
};

/** Bytes as KiB/MiB/GiB with one decimal. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
