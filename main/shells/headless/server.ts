import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ContractError, HEADLESS, type EventEnvelope, type ResponseEnvelope } from '../../../contract';
import type { TandemCore } from '../../core/core';
import type { Logger } from '../../core/logging/logger';
import { contentSecurityPolicy } from '../content-security-policy';
import { AccessPolicy, isLoopbackHost, newToken } from './access';
import { serveStatic } from './static-files';

export interface HeadlessServerOptions {
  core: Pick<TandemCore, 'dispatch' | 'subscribe' | 'getState'>;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  host: string;
  port: number;
  logger: Logger;
  /** A fixed token for tests; a fresh random one otherwise. */
  token?: string;
}

export interface HeadlessServer {
  host: string;
  port: number;
  token: string;
  /** The URL a person opens: the token rides in the fragment, which browsers never send to servers. */
  url: string;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Past this much unsent data a slow client misses state snapshots (the next one supersedes them). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function securityHeaders(res: ServerResponse, port: number): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy({ connectSources: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] }));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(text);
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

function badMessage(message: string): ResponseEnvelope {
  return { kind: 'response', id: null, ok: false, error: new ContractError('BAD_MESSAGE', message).toBody() };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MESSAGE_BYTES) throw new ContractError('BAD_MESSAGE', `request body over ${MAX_MESSAGE_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The headless bridge: serves the built UI and carries the contract over a
 * WebSocket (live events) and a plain JSON POST endpoint (scripts, curl). Same
 * envelopes, same dispatcher as Electron IPC.
 */
export async function startHeadlessServer(options: HeadlessServerOptions): Promise<HeadlessServer> {
  const log = options.logger.child({ source: 'headless' });
  const token = options.token ?? newToken();
  const access = new AccessPolicy(options.host, token);
  const sockets = new Set<WebSocket>();
  let port = 0;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(HEADLESS.subprotocol) ? HEADLESS.subprotocol : false),
  });

  wss.on('connection', (ws) => {
    sockets.add(ws);
    const send = (message: EventEnvelope | ResponseEnvelope) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribe = options.core.subscribe((event) => {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES && event.event === 'state') return;
      send(event);
    });
    send({ kind: 'event', event: 'state', data: options.core.getState() });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send(badMessage('binary frames are not part of the contract'));
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        send(badMessage('message is not valid JSON'));
        return;
      }
      void options.core.dispatch(raw).then(send);
    });
    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
    ws.on('error', (error) => log.warn({ err: error }, 'websocket error'));
  });

  const server = http.createServer((req, res) => {
    securityHeaders(res, port);
    if (!access.hostAllowed(req)) return sendJson(res, 403, { error: 'host not allowed' });
    if (!access.originAllowed(req)) return sendJson(res, 403, { error: 'origin not allowed' });
    const url = new URL(req.url ?? '/', 'http://placeholder');

    if (url.pathname === HEADLESS.healthPath) return sendJson(res, 200, { ok: true });
    if (url.pathname === HEADLESS.rpcPath) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
      if (!access.bearerAllowed(req)) return sendJson(res, 401, { error: 'missing or wrong token' });
      void readBody(req)
        .then(async (body) => {
          let raw: unknown;
          try {
            raw = JSON.parse(body);
          } catch {
            return sendJson(res, 400, badMessage('request body is not valid JSON'));
          }
          return sendJson(res, 200, await options.core.dispatch(raw));
        })
        .catch((error: unknown) => sendJson(res, 413, badMessage(error instanceof Error ? error.message : String(error))));
      return;
    }
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: 'no such endpoint' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    void serveStatic(options.staticDir, url.pathname, res, req.method === 'HEAD').catch((error: unknown) => {
      log.error({ err: error }, 'static file failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== HEADLESS.wsPath) return refuseUpgrade(socket, 404, 'no such endpoint');
    if (!access.hostAllowed(req) || !access.originAllowed(req)) {
      log.warn({ origin: req.headers.origin, hostHeader: req.headers.host }, 'refused websocket from a foreign origin');
      return refuseUpgrade(socket, 403, 'origin not allowed');
    }
    if (!access.subprotocolTokenAllowed(req)) return refuseUpgrade(socket, 401, 'missing or wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  access.setPort(port);
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  if (!isLoopbackHost(options.host)) log.warn({ host: options.host }, 'headless UI is reachable from other machines; keep the token secret');
  log.info({ host: options.host, port }, 'headless server listening');

  return {
    host: options.host,
    port,
    token,
    url: `http://${shownHost}:${port}/#token=${token}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
