import type { StateCreator } from 'zustand';
import type { ConnectionActions, ConnectionState, Store } from '../types';

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
