import { create } from 'zustand';
import { createConnectionSlice, initialConnectionState, type ConnectionActions, type ConnectionState } from './slices/connection';
import { createCoreSlice, initialCoreState, type CoreActions, type CoreSliceState } from './slices/core';
import { createLogsSlice, initialLogsState, type LogsActions, type LogsState } from './slices/logs';
import { createNavigationSlice, initialNavigationState, type NavigationActions, type NavigationState } from './slices/navigation';

/** One store, composed of slices that each own their state, actions and selectors. */
export type Store = ConnectionState &
  ConnectionActions &
  CoreSliceState &
  CoreActions &
  LogsState &
  LogsActions &
  NavigationState &
  NavigationActions;

export const createAppStore = () =>
  create<Store>()((...a) => ({
    ...initialConnectionState,
    ...initialCoreState,
    ...initialLogsState,
    ...initialNavigationState,
    ...createConnectionSlice(...a),
    ...createCoreSlice(...a),
    ...createLogsSlice(...a),
    ...createNavigationSlice(...a),
  }));

export const useStore = createAppStore();
