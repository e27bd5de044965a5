import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseGradientKey } from '../../main/ports/object-keys';

export interface SimulatedPeerStoreOptions {
  /** The real S3 server (the devnet's) that every other request goes to, unchanged. */
  target: { host: string; port: number };
  /** The simulated peers' buckets: their updates are served here. */
  buckets: ReadonlySet<string>;
  /** The update each simulated peer uploads, every window: a real codec payload of the model. */
  payloadFile: string;
  payloadBytes: number;
  /**
   * When the simulated peers' updates of `window` were stored, or null while
   * they are not: the benchmark answers when this machine's own update of
   * that window was (the same size, sent over the same shaped uplink, from
   * a window that ends at the same block).
   */
  storedAt(window: number): Promise<Date | null>;
}

export interface SimulatedPeerStore {
  port: number;
  /** Updates served and their bytes. */
  served: { updates: number; bytes: number };
  close(): Promise<void>;
}

/**
 * The storage the round benchmark's simulated peers upload to, without 20
 * copies of a 132 MB (8B) or 1.2 GB (72B) update on this machine's disk
 * each window: an HTTP server in front of the devnet's S3 server that
 * answers GET and HEAD of a simulated peer's update (`gradient-…` in one of
 * their buckets) itself, with the bytes of one real payload file, once that
 * window's updates count as stored (before: 404 NoSuchKey, as S3 answers
 * for an update not uploaded yet). Every other request (this machine's own
 * uploads and reads, listings, sync reports) goes to the S3 server as it
 * came, signature and all. Those served updates are not signature-checked:
 * the benchmark measures bytes and time, not access rights.
 */
export async function startSimulatedPeerStore(options: SimulatedPeerStoreOptions): Promise<SimulatedPeerStore> {
  const served = { updates: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://store');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const update = options.buckets.has(bucket) ? parseGradientKey(key) : null;
    if (update && (req.method === 'GET' || req.method === 'HEAD')) {
      void serveUpdate(update.window, key, req.method === 'HEAD', res);
      return;
    }
    forward(req, res);
  });

  async function serveUpdate(window: number, key: string, headOnly: boolean, res: http.ServerResponse): Promise<void> {
    try {
      const at = await options.storedAt(window);
      if (!at) {
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key></Error>`;
        res.writeHead(404, { 'Content-Type': 'application/xml', 'Content-Length': headOnly ? 0 : Buffer.byteLength(body) });
        res.end(headOnly ? undefined : body);
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': options.payloadBytes,
        'Last-Modified': at.toUTCString(),
        ETag: `"simulated-${window}"`,
      });
      if (headOnly) {
        res.end();
        return;
      }
      served.updates += 1;
      served.bytes += options.payloadBytes;
      fs.createReadStream(options.payloadFile).pipe(res);
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    }
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = { ...req.headers };
    // This server has answered the client's Expect already (Node sends 100 Continue); S3 signatures never cover it.
    delete headers.expect;
    const upstream = http.request({ host: options.target.host, port: options.target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(upstream);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
