import { HEADLESS, type MessageTransport, type RequestEnvelope } from '../../../contract';
import type { ConnectionStatus } from '../store/types';

export interface WebSocketTransport extends MessageTransport {
  close(): void;
}

const MAX_QUEUED = 200;

/**
 * Headless mode: the contract over a WebSocket, with the token as a
 * subprotocol. Reconnects with backoff; when the server refuses the token it
 * stops retrying and says so, because retrying cannot fix a wrong link.
 */
export function createWebSocketTransport(options: {
  origin: string;
  token: string;
  onStatus: (status: ConnectionStatus) => void;
}): WebSocketTransport {
  let receive: (message: unknown) => void = () => {};
  let socket: WebSocket | undefined;
  let queue: RequestEnvelope[] = [];
  let attempt = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const wsUrl = `${options.origin.replace(/^http/, 'ws')}${HEADLESS.wsPath}`;

  async function tokenRefused(): Promise<boolean> {
    try {
      const response = await fetch(`${options.origin}${HEADLESS.rpcPath}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: 'request', id: 'probe', method: 'app.ping', params: {} }),
      });
      return response.status === 401;
    } catch {
      return false;
    }
  }

  function connect(): void {
    options.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(wsUrl, [HEADLESS.subprotocol, `${HEADLESS.tokenSubprotocolPrefix}${options.token}`]);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      options.onStatus('open');
      for (const envelope of queue) ws.send(JSON.stringify(envelope));
      queue = [];
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        parsed = event.data;
      }
      receive(parsed);
    };
    ws.onclose = () => {
      if (closed || socket !== ws) return;
      void tokenRefused().then((refused) => {
        if (refused) {
          options.onStatus('unauthorized');
          return;
        }
        attempt += 1;
        options.onStatus('reconnecting');
        retryTimer = setTimeout(connect, Math.min(8000, 250 * 2 ** Math.min(attempt, 5)));
      });
    };
  }

  connect();

  return {
    setReceiver(receiver) {
      receive = receiver;
    },
    send(envelope) {
      if (socket?.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(envelope));
        return;
      }
      if (queue.length >= MAX_QUEUED) throw new Error('not connected to the Tandem core');
      queue.push(envelope);
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
