import { create } from 'zustand';
import { createChainSlice, initialChainState } from './slices/chain';
import { createConnectionSlice, initialConnectionState } from './slices/connection';
import { createCoreSlice, initialCoreState } from './slices/core';
import { createHardwareSlice, initialHardwareState } from './slices/hardware';
import { createLogsSlice, initialLogsState } from './slices/logs';
import { createNavigationSlice, initialNavigationState } from './slices/navigation';
import { createNetworkSlice, initialNetworkState } from './slices/network';
import { createOnboardingSlice, initialOnboardingState } from './slices/onboarding';
import { createOperationsSlice, initialOperationsState } from './slices/operations';
import { createRoundSlice, initialRoundState } from './slices/round';
import { createStorageSlice, initialStorageState } from './slices/storage';
import { createWalletSlice, initialWalletState } from './slices/wallet';
import type { Store } from './types';

/** One store, composed of slices that each own their state, actions and selectors (their types: ./types). */
export const createAppStore = () =>
  create<Store>()((...a) => ({
    ...initialConnectionState,
    ...initialOnboardingState(),
    ...initialNetworkState,
    ...initialCoreState,
    ...initialHardwareState,
    ...initialRoundState,
    ...initialWalletState,
    ...initialChainState,
    ...initialLogsState,
    ...initialNavigationState,
    ...initialOperationsState,
    ...initialStorageState,
    ...createConnectionSlice(...a),
    ...createOnboardingSlice(...a),
    ...createNetworkSlice(...a),
    ...createCoreSlice(...a),
    ...createHardwareSlice(...a),
    ...createRoundSlice(...a),
    ...createWalletSlice(...a),
    ...createChainSlice(...a),
    ...createLogsSlice(...a),
    ...createNavigationSlice(...a),
    ...createOperationsSlice(...a),
    ...createStorageSlice(...a),
  }));

export const useStore = createAppStore();
