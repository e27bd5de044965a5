import type { StateCreator } from 'zustand';
import type { CoreActions, CoreSliceState, Store } from '../types';

export const initialCoreState: CoreSliceState = { core: null, appInfo: null };

export const createCoreSlice: StateCreator<Store, [], [], CoreActions> = (set) => ({
  receiveCoreState: (core) => set({ core }),
  receiveAppInfo: (appInfo) => set({ appInfo }),
});

// Narrow selectors: a component re-renders only when the field it shows changes.
export const coreSelectors = {
  version: (s: Store) => s.core?.core.version ?? null,
  mode: (s: Store) => s.core?.core.mode ?? null,
  uptimeSeconds: (s: Store) => s.core?.core.uptimeSeconds ?? null,
  trainer: (s: Store) => s.core?.trainer ?? null,
  networkTarget: (s: Store) => s.core?.network.target ?? null,
  appInfo: (s: Store) => s.appInfo,
};
