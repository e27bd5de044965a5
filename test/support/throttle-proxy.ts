import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A token bucket: `rate` bytes per second, holding at most `burst` bytes.
 * Callers queue in FIFO order, so every connection going one way shares the
 * one link, as on a real uplink. It starts empty: a link that has sent
 * nothing has no credit, so N bytes never pass in less than N / rate seconds.
 */
export class TokenBucket {
  private tokens = 0;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {}

  /** Resolves once `bytes` (≤ burst) may pass. */
  take(bytes: number): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = performance.now();
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
        this.last = now;
        if (this.tokens >= bytes) {
          this.tokens -= bytes;
          return;
        }
        await sleep(Math.max(1, ((bytes - this.tokens) / this.rate) * 1000));
      }
    });
    this.queue = turn;
    return turn;
  }
}

export interface ThrottleProxy {
  port: number;
  url: string;
  /** Bytes that went client → server and server → client. */
  bytes: { up: number; down: number };
  close(): Promise<void>;
}

/**
 * Writes what `source` yields to `to`, each piece `delayMs` after it was
 * yielded, in order, without holding up the pieces behind it: the
 * propagation delay of a link, which adds to each exchange's time but not to
 * its throughput. Ends `to` (half-closes it) once the last piece is written.
 */
async function relay(source: AsyncIterable<Buffer>, to: net.Socket, delayMs: number): Promise<void> {
  let written = Promise.resolve();
  for await (const piece of source) {
    const due = delayMs > 0 ? sleep(delayMs) : Promise.resolve();
    written = Promise.all([written, due]).then(() => {
      if (!to.destroyed) to.write(piece);
    });
  }
  await written;
  to.end();
}

/** Passes a connection's bytes on, the first of them one round trip late (the TCP handshake). */
function afterHandshake(rttMs: number) {
  return async function* (source: AsyncIterable<Buffer>) {
    let first = true;
    for await (const data of source) {
      if (first) await sleep(rttMs);
      first = false;
      yield data;
    }
  };
}

/** One TCP receive window: the most a sender gets ahead of a link's rate. */
export const TCP_WINDOW_BYTES = 64 * 1024;

/**
 * A TCP proxy on loopback to `target` that shapes it like a wide-area link:
 * each direction limited by its own token bucket (bytes per second, shared by
 * all connections, a burst of at most one TCP window), and a round-trip time
 * paid by the connection's handshake and by every exchange on it (half of it
 * each way).
 */
export async function startThrottleProxy(options: {
  targetPort: number;
  targetHost?: string;
  upBytesPerSecond: number;
  downBytesPerSecond: number;
  burstBytes?: number;
  chunkBytes?: number;
  /** Round-trip time in ms (default 0: loopback). */
  rttMs?: number;
  /** Listen here (e.g. to come back on the port of a proxy that was closed); any free port by default. */
  listenPort?: number;
}): Promise<ThrottleProxy> {
  const chunk = options.chunkBytes ?? 16 * 1024;
  const burst = Math.max(chunk, options.burstBytes ?? TCP_WINDOW_BYTES);
  const rttMs = options.rttMs ?? 0;
  const up = new TokenBucket(options.upBytesPerSecond, burst);
  const down = new TokenBucket(options.downBytesPerSecond, burst);
  const bytes = { up: 0, down: 0 };
  const sockets = new Set<net.Socket>();

  const throttle = (bucket: TokenBucket, direction: 'up' | 'down') =>
    async function* (source: AsyncIterable<Buffer>) {
      for await (const data of source) {
        for (let offset = 0; offset < data.length; offset += chunk) {
          const piece = data.subarray(offset, offset + chunk);
          await bucket.take(piece.length);
          bytes[direction] += piece.length;
          yield piece;
        }
      }
    };

  // Half-open sockets on both sides: one side's end of sending (a FIN) must not end the other direction, whose
  // last bytes may still be on their way.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: options.targetHost ?? '127.0.0.1', port: options.targetPort, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const toServer = relay(throttle(up, 'up')(rttMs > 0 ? afterHandshake(rttMs)(client) : client), upstream, rttMs / 2);
    const toClient = relay(throttle(down, 'down')(upstream), client, rttMs / 2);
    // The connection is over once the server's answer has reached the client. When the server closes first
    // (Connection: close, as the AWS SDK asks for with Expect: 100-continue), the answer's last bytes are still
    // on their way: ending everything as soon as either direction ended cut them off, and the client saw
    // "socket hang up" (every S3 upload over 1 MB through a link with a round trip). A failure on the way to
    // the server (the client reset) ends the server's side, which ends the answer.
    toServer.catch(() => upstream.destroy());
    toClient.catch(() => undefined).finally(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
