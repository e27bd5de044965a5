import { create } from 'zustand';
import { createConnectionSlice, initialConnectionState, type ConnectionActions, type ConnectionState } from './slices/connection';
import { createCoreSlice, initialCoreState, type CoreActions, type CoreSliceState } from './slices/core';
import { createHardwareSlice, initialHardwareState, type HardwareActions, type HardwareState } from './slices/hardware';
import { createLogsSlice, initialLogsState, type LogsActions, type LogsState } from './slices/logs';
import { createNavigationSlice, initialNavigationState, type NavigationActions, type NavigationState } from './slices/navigation';

/** One store, composed of slices that each own their state, actions and selectors. */
export type Store = ConnectionState &
  ConnectionActions &
  CoreSliceState &
  CoreActions &
  HardwareState &
  HardwareActions &
  LogsState &
  LogsActions &
  NavigationState &
  NavigationActions;

export const createAppStore = () =>
  create<Store>()((...a) => ({
    ...initialConnectionState,
    ...initialCoreState,
    ...initialHardwareState,
    ...initialLogsState,
    ...initialNavigationState,
    ...createConnectionSlice(...a),
    ...createCoreSlice(...a),
    ...createHardwareSlice(...a),
    ...createLogsSlice(...a),
    ...createNavigationSlice(...a),
  }));

export const useStore = createAppStore();
