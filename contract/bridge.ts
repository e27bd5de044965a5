import type { RequestEnvelope } from './envelope';

/**
 * What the Electron preload exposes as `window.tandem`. Deliberately tiny and
 * untyped at the payload level: the preload only ferries envelopes, and the
 * renderer's {@link ContractClient} validates everything that comes back.
 */
export interface PreloadApi {
  readonly kind: 'electron';
  /** Sends one request envelope to the main process and resolves with its raw response envelope. */
  request(envelope: RequestEnvelope): Promise<unknown>;
  /** Subscribes to raw event envelopes pushed by the core; returns the unsubscribe function. */
  onEvent(listener: (message: unknown) => void): () => void;
}

/** IPC channel names shared by the preload and the main-process handlers. */
export const IPC_CHANNELS = {
  request: 'tandem:request',
  event: 'tandem:event',
} as const;

/** Headless bridge endpoints and the WebSocket subprotocols that carry the token. */
export const HEADLESS = {
  wsPath: '/api/ws',
  rpcPath: '/api/rpc',
  healthPath: '/api/health',
  /** The WebSocket subprotocol the server selects; the token travels as a second one. */
  subprotocol: 'tandem.v1',
  tokenSubprotocolPrefix: 'tandem.token.',
} as const;

/** A message pipe the client can drive: Electron IPC and WebSocket both fit. */
export interface MessageTransport {
  send(envelope: RequestEnvelope): void;
  /** Registers the single sink for every raw message arriving from the core. */
  setReceiver(receiver: (message: unknown) => void): void;
}
