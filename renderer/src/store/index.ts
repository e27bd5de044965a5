import { create } from 'zustand';
import { createConnectionSlice, initialConnectionState, type ConnectionActions, type ConnectionState } from './slices/connection';
import { createNetworkSlice, initialNetworkState, type NetworkActions, type NetworkSliceState } from './slices/network';
import { createOnboardingSlice, initialOnboardingState, type OnboardingActions, type OnboardingState } from './slices/onboarding';
import { createCoreSlice, initialCoreState, type CoreActions, type CoreSliceState } from './slices/core';
import { createHardwareSlice, initialHardwareState, type HardwareActions, type HardwareState } from './slices/hardware';
import { createRoundSlice, initialRoundState, type RoundActions, type RoundSliceState } from './slices/round';
import { createWalletSlice, initialWalletState, type WalletStore } from './slices/wallet';
import { createChainSlice, initialChainState, type ChainStore } from './slices/chain';
import { createLogsSlice, initialLogsState, type LogsActions, type LogsState } from './slices/logs';
import { createOperationsSlice, initialOperationsState, type OperationsActions, type OperationsState } from './slices/operations';
import { createNavigationSlice, initialNavigationState, type NavigationActions, type NavigationState } from './slices/navigation';
import { createStorageSlice, initialStorageState, type StorageStore } from './slices/storage';

/** One store, composed of slices that each own their state, actions and selectors. */
export type Store = ConnectionState &
  ConnectionActions &
  OnboardingState &
  OnboardingActions &
  NetworkSliceState &
  NetworkActions &
  CoreSliceState &
  CoreActions &
  HardwareState &
  HardwareActions &
  RoundSliceState &
  RoundActions &
  WalletStore &
  ChainStore &
  LogsState &
  LogsActions &
  NavigationState &
  NavigationActions &
  OperationsState &
  OperationsActions &
  StorageStore;

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
