import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { RpcError } from './rpc-error';

/** One connected client: what a handler uses to open subscriptions and push to them. */
export interface RpcClient {
  /** Opens a subscription; notifications go out as `method` (e.g. chain_newHead). */
  subscribe(method: string, onClose?: () => void): string;
  notify(subscription: string, result: unknown): void;
  unsubscribe(subscription: string): boolean;
  /** Runs after the reply to the current request is sent (a subscription's first notification must follow its id). */
  afterReply(action: () => void): void;
}

export type RpcHandler = (params: unknown[], client: RpcClient) => unknown;

interface Subscription {
  method: string;
  onClose?: () => void;
}

/**
 * JSON-RPC 2.0 over WebSocket (ws), the transport substrate nodes speak:
 * requests get a reply with the same id, subscriptions are pushed as
 * `{method, params: {subscription, result}}`. Errors keep substrate's codes
 * (1010 Invalid Transaction, …); an unknown method is -32601.
 */
export class RpcServer {
  private nextSubscription = 1;

  private constructor(
    private readonly server: WebSocketServer,
    private readonly handlers: ReadonlyMap<string, RpcHandler>,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static listen(host: string, port: number, handlers: ReadonlyMap<string, RpcHandler>): Promise<RpcServer> {
    return new Promise((resolve, reject) => {
      const server = new WebSocketServer({ host, port, maxPayload: 16 * 1024 * 1024 });
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve(new RpcServer(server, handlers));
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const subscriptions = new Map<string, Subscription>();
    let pending: Array<() => void> = [];
    const send = (message: unknown) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const client: RpcClient = {
      subscribe: (method, onClose) => {
        const id = `0x${(this.nextSubscription++).toString(16).padStart(16, '0')}`;
        subscriptions.set(id, { method, ...(onClose ? { onClose } : {}) });
        return id;
      },
      notify: (subscription, result) => {
        const sub = subscriptions.get(subscription);
        if (sub) send({ jsonrpc: '2.0', method: sub.method, params: { subscription, result } });
      },
      unsubscribe: (subscription) => {
        const sub = subscriptions.get(subscription);
        subscriptions.delete(subscription);
        sub?.onClose?.();
        return sub !== undefined;
      },
      afterReply: (action) => pending.push(action),
    };
    socket.on('message', (data) => {
      let request: { id?: unknown; method?: unknown; params?: unknown };
      try {
        request = JSON.parse(data.toString()) as typeof request;
      } catch {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
      }
      const id = request.id ?? null;
      const handler = typeof request.method === 'string' ? this.handlers.get(request.method) : undefined;
      if (!handler) {
        send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
        return;
      }
      pending = [];
      try {
        const result = handler(Array.isArray(request.params) ? request.params : [], client);
        send({ jsonrpc: '2.0', id, result: result === undefined ? null : result });
        for (const action of pending) action();
      } catch (error) {
        send({ jsonrpc: '2.0', id, error: toRpcError(error) });
      }
      pending = [];
    });
    socket.on('close', () => {
      for (const id of [...subscriptions.keys()]) client.unsubscribe(id);
    });
  }
}

function toRpcError(error: unknown): { code: number; message: string; data?: string } {
  if (error instanceof RpcError) return error.toJson();
  return { code: -32602, message: error instanceof Error ? error.message : String(error) };
}
