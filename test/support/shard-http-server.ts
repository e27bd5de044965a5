import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ShardSpec } from '../../main/ports/run-manifest';

/**
 * A shard server on 127.0.0.1 for the data tests. Every route serves the
 * shard named by the last path segment, each in its own way:
 *
 * - `/ok/NAME`          the shard, with Range requests answered 206;
 * - `/stall/NAME`       without a Range header: the first half, then nothing until the client leaves;
 *                       with one: like /ok;
 * - `/no-range/NAME`    the whole shard with 200, whatever the Range header says;
 * - `/missing/NAME`     404;
 * - `/loop/N`           a redirect to /loop/N+1, forever;
 * - `/hop/N/NAME`       N redirects, then /ok/NAME;
 * - `/long/NAME`        the shard and 17 more bytes (Content-Length says so);
 * - `/short-chunked/NAME` the shard less its last 100 bytes, chunked (no length given);
 * - `/long-chunked/NAME`  the shard and 17 more bytes, chunked;
 * - `/flaky/NAME`       one corrupt byte the first time NAME is fetched there, the shard after;
 * - `/corrupt/NAME`     always one corrupt byte.
 * - `/slow-flaky/NAME`  like /flaky, at `slowBytesPerSecond` (a link a user watches a download on).
 */
export interface ShardServer {
  base: string;
  /** Every request: its path and Range header. */
  requests: { path: string; range: string | undefined }[];
  /** Requests whose path is `path`. */
  countOf(path: string): number;
  close(): Promise<void>;
}

export async function startShardServer(shards: ReadonlyMap<string, Buffer>, options: { slowBytesPerSecond?: number } = {}): Promise<ShardServer> {
  const slowRate = options.slowBytesPerSecond ?? 256 * 1024;
  const requests: ShardServer['requests'] = [];
  const flakyServed = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const range = req.headers.range;
    requests.push({ path: url, range });
    const parts = url.split('/').filter(Boolean);
    const [route] = parts;
    const name = parts[parts.length - 1] ?? '';
    const data = shards.get(name);

    if (route === 'loop') {
      res.writeHead(302, { location: `/loop/${Number(name) + 1}` }).end();
      return;
    }
    if (route === 'hop') {
      const left = Number(parts[1]);
      res.writeHead(307, { location: left > 1 ? `/hop/${left - 1}/${name}` : `/ok/${name}` }).end();
      return;
    }
    if (route === 'missing' || data === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such shard');
      return;
    }
    switch (route) {
      case 'ok':
        serveWithRange(res, data, range);
        return;
      case 'stall':
        if (range !== undefined) {
          serveWithRange(res, data, range);
          return;
        }
        res.writeHead(200, { 'content-length': data.length });
        res.write(data.subarray(0, data.length / 2));
        // Nothing more: the client aborts, or close() ends the socket.
        return;
      case 'no-range':
        res.writeHead(200, { 'content-length': data.length }).end(data);
        return;
      case 'long':
        res.writeHead(200, { 'content-length': data.length + 17 }).end(Buffer.concat([data, Buffer.alloc(17, 1)]));
        return;
      case 'short-chunked':
        res.writeHead(200).end(data.subarray(0, data.length - 100));
        return;
      case 'long-chunked':
        res.writeHead(200);
        res.write(data);
        res.end(Buffer.alloc(17, 1));
        return;
      case 'flaky':
        if (flakyServed.has(name)) serveWithRange(res, data, range);
        else serveWithRange(res, corrupted(data), range);
        flakyServed.add(name);
        return;
      case 'corrupt':
        serveWithRange(res, corrupted(data), range);
        return;
      case 'slow-flaky': {
        const body = flakyServed.has(`slow:${name}`) ? data : corrupted(data);
        flakyServed.add(`slow:${name}`);
        servePaced(res, body, slowRate);
        return;
      }
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    countOf: (path) => requests.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serveWithRange(res: http.ServerResponse, data: Buffer, range: string | undefined): void {
  const match = range === undefined ? null : /^bytes=(\d+)-$/.exec(range);
  if (!match) {
    res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' }).end(data);
    return;
  }
  const start = Number(match[1]);
  if (start >= data.length) {
    res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
    return;
  }
  res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` }).end(data.subarray(start));
}

/** The whole body in tenths of a second's worth, one every 100 ms. */
function servePaced(res: http.ServerResponse, data: Buffer, bytesPerSecond: number): void {
  res.writeHead(200, { 'content-length': data.length });
  const step = Math.max(1, Math.round(bytesPerSecond / 10));
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(data.subarray(at, at + step));
    at += step;
    if (at >= data.length) {
      clearInterval(timer);
      res.end();
    }
  }, 100);
  res.on('close', () => clearInterval(timer));
}

/** The same bytes with the middle one changed: right size, wrong hash. */
function corrupted(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  const middle = Math.floor(copy.length / 2);
  copy[middle] = copy[middle]! ^ 0xff;
  return copy;
}

/** The spec that names `data` at `url`. */
export function shardSpec(data: Buffer, url: string, split: ShardSpec['split'] = 'train'): ShardSpec {
  return { url, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), dtype: 'uint16', split };
}
