import { ContractClient, type PreloadApi } from '../../../contract';
import type { ConnectionStatus } from '../store/types';
import { createIpcTransport } from './ipc-transport';
import { takeAccessToken } from './token';
import { createWebSocketTransport } from './websocket-transport';

declare global {
  interface Window {
    tandem?: PreloadApi;
  }
}

/**
 * Picks the bridge the page runs under: the Electron preload when present,
 * otherwise the headless WebSocket. Everything above this function is the same
 * React app either way.
 */
export function connectToCore(onStatus: (status: ConnectionStatus) => void, onProtocolError: (message: string) => void): ContractClient {
  const options = { onProtocolError: (error: Error) => onProtocolError(error.message) };
  if (window.tandem) {
    const client = new ContractClient(createIpcTransport(window.tandem), options);
    onStatus('open');
    return client;
  }
  const token = takeAccessToken(window.location, window.history, window.sessionStorage);
  if (!token) {
    onStatus('unauthorized');
    return new ContractClient({ send: () => { throw new Error('no access token'); }, setReceiver: () => {} }, options);
  }
  // The transport reports status from its constructor on, before the client exists.
  const ref: { client?: ContractClient } = {};
  const transport = createWebSocketTransport({
    origin: window.location.origin,
    token,
    onStatus: (status) => {
      if (status === 'reconnecting' || status === 'unauthorized') ref.client?.failPending(status === 'unauthorized' ? 'UNAUTHORIZED' : 'DISCONNECTED', 'connection to the core was lost');
      onStatus(status);
    },
  });
  ref.client = new ContractClient(transport, options);
  return ref.client;
}
