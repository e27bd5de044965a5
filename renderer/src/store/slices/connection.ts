import type { StateCreator } from 'zustand';
import type { Store } from '../index';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ConnectionState {
  status: ConnectionStatus;
  /** The latest message that failed contract validation, shown instead of swallowed. */
  protocolError: string | null;
}

export interface ConnectionActions {
  setConnectionStatus(status: ConnectionStatus): void;
  reportProtocolError(message: string): void;
}

export const initialConnectionState: ConnectionState = { status: 'connecting', protocolError: null };

export const createConnectionSlice: StateCreator<Store, [], [], ConnectionActions> = (set) => ({
  setConnectionStatus: (status) => set({ status }),
  reportProtocolError: (message) => set({ protocolError: message }),
});

export const connectionSelectors = {
  status: (s: Store) => s.status,
  isLive: (s: Store) => s.status === 'open',
  protocolError: (s: Store) => s.protocolError,
};
