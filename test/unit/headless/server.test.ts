import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HEADLESS } from '../../../contract';
import { startHeadlessServer, type HeadlessServer } from '../../../main/shells/headless/server';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';

const TOKEN = 'a'.repeat(64);

function request(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a socket and resolves with the HTTP status of a refusal, or 101 with the open socket. */
function openSocket(port: number, protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; ws?: WebSocket }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${HEADLESS.wsPath}`, protocols, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

function nextMessage(ws: WebSocket, predicate: (m: Record<string, unknown>) => boolean) {
  return new Promise<Record<string, unknown>>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (predicate(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
  });
}

const rpc = (body: unknown) => JSON.stringify(body);
const goodProtocols = [HEADLESS.subprotocol, `${HEADLESS.tokenSubprotocolPrefix}${TOKEN}`];

describe('headless server', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: HeadlessServer;
  let stopCore: () => Promise<void>;

  beforeEach(async () => {
    temp = makeTempDir();
    const staticDir = path.join(temp.dir, 'ui');
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    fs.writeFileSync(path.join(temp.dir, 'secret.txt'), 'outside the UI folder');
    const { core, logger } = await makeTestCore(temp.dir);
    await core.start();
    stopCore = () => core.stop();
    server = await startHeadlessServer({ core, staticDir, host: '127.0.0.1', port: 0, logger, token: TOKEN });
  });

  afterEach(async () => {
    await server.close();
    await stopCore();
    temp.cleanup();
  });

  it('prints a loopback URL carrying the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${TOKEN}`);
  });

  it('listens on loopback only', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      console.log('skipped the external-address probe: this machine has no non-loopback IPv4 address');
    } else {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: external.address, port: server.port });
        socket.on('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
    const probe = await request(server.port, { path: HEADLESS.healthPath });
    expect(probe.status).toBe(200);
  });

  it('refuses RPC without a token or with a wrong one (401)', async () => {
    const body = rpc({ kind: 'request', id: '1', method: 'state.get' });
    expect((await request(server.port, { method: 'POST', path: HEADLESS.rpcPath, body })).status).toBe(401);
    expect((await request(server.port, { method: 'POST', path: HEADLESS.rpcPath, body, headers: { Authorization: `Bearer ${'b'.repeat(64)}` } })).status).toBe(401);
    expect((await request(server.port, { method: 'POST', path: HEADLESS.rpcPath, body, headers: { Authorization: `Bearer ${TOKEN.slice(1)}` } })).status).toBe(401);
    const ok = await request(server.port, { method: 'POST', path: HEADLESS.rpcPath, body, headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: '1', ok: true, result: { core: { mode: 'headless' } } });
  });

  it('refuses a WebSocket without a token or with a wrong one (401)', async () => {
    expect((await openSocket(server.port, [HEADLESS.subprotocol])).status).toBe(401);
    expect((await openSocket(server.port, [HEADLESS.subprotocol, `${HEADLESS.tokenSubprotocolPrefix}${'c'.repeat(64)}`])).status).toBe(401);
  });

  it('refuses a foreign Origin on the socket and on RPC (403), even with the right token', async () => {
    expect((await openSocket(server.port, goodProtocols, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await openSocket(server.port, goodProtocols, { Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    const rpcResponse = await request(server.port, {
      method: 'POST',
      path: HEADLESS.rpcPath,
      body: rpc({ kind: 'request', id: '1', method: 'state.get' }),
      headers: { Authorization: `Bearer ${TOKEN}`, Origin: 'https://evil.example' },
    });
    expect(rpcResponse.status).toBe(403);
    const own = await openSocket(server.port, goodProtocols, { Origin: `http://127.0.0.1:${server.port}` });
    expect(own.status).toBe(101);
    own.ws?.close();
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const response = await request(server.port, { path: '/', headers: { Host: `attacker.example:${server.port}` } });
    expect(response.status).toBe(403);
  });

  it('streams state over the socket, answers requests, and survives malformed messages', async () => {
    const { ws, status } = await openSocket(server.port, goodProtocols);
    expect(status).toBe(101);
    const socket = ws as WebSocket;
    const first = await nextMessage(socket, (m) => m['kind'] === 'event' && m['event'] === 'state');
    expect(first).toMatchObject({ data: { core: { version: '9.9.9-test' } } });

    socket.send('{not json');
    expect(await nextMessage(socket, (m) => m['kind'] === 'response')).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
    socket.send(JSON.stringify({ kind: 'request', id: 'x1', method: 'no.such' }));
    expect(await nextMessage(socket, (m) => m['id'] === 'x1')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    socket.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(socket, (m) => m['kind'] === 'response')).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });

    socket.send(JSON.stringify({ kind: 'request', id: 'ok1', method: 'app.ping', params: { nonce: 'still-alive' } }));
    expect(await nextMessage(socket, (m) => m['id'] === 'ok1')).toMatchObject({ ok: true, result: { nonce: 'still-alive' } });

    const tick = await nextMessage(socket, (m) => m['event'] === 'state' && (m['data'] as { core: { uptimeSeconds: number } }).core.uptimeSeconds >= 1);
    expect(tick).toBeDefined();
    socket.close();
  });

  it('serves the UI with a strict CSP and never files outside its folder', async () => {
    const page = await request(server.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ui</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const response = await request(server.port, { path: attempt });
      expect(response.body).not.toContain('outside the UI folder');
    }
    expect((await request(server.port, { path: '/missing.js' })).status).toBe(404);
    expect((await request(server.port, { path: '/some/page' })).body).toContain('<title>ui</title>');
  });
});
