import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy';

// The link shaper that bench:round puts between every peer and its storage (issue 20): it must
// really hold a transfer to the link's rate and add the round trips, or the benchmark's
// communication figures say nothing. Lower bounds only: a loaded machine may be slower, never faster.
describe('the shaped link between a peer and its storage', () => {
  let s3: LocalS3;
  let link: ThrottleProxy;
  let storage: S3Storage;
  const UP = 4 * 1024 * 1024; // bytes per second: 33.6 Mb/s
  const DOWN = 8 * 1024 * 1024;
  const RTT_MS = 120;

  beforeEach(async () => {
    s3 = await startLocalS3({ bucket: 'shaped' });
  });
  afterEach(async () => {
    storage?.close();
    await link?.close();
    await s3?.stop();
  });
  const open = async (rttMs: number) => {
    link = await startThrottleProxy({ targetPort: s3.port, upBytesPerSecond: UP, downBytesPerSecond: DOWN, rttMs });
    storage = new S3Storage({ endpoint: link.url, bucket: s3.bucket, ...s3.credentials });
  };
  const timed = async (work: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await work();
    return (performance.now() - started) / 1000;
  };

  it('uploads N bytes in no less than N / rate seconds, and downloads them in no less than N / its rate', async () => {
    await open(0);
    const payload = randomBytes(3 * 1024 * 1024);
    const up = await timed(() => storage.put('big', payload));
    expect(link.bytes.up).toBeGreaterThanOrEqual(payload.length);
    expect(up).toBeGreaterThanOrEqual(payload.length / UP);
    const down = await timed(async () => expect(Buffer.from((await storage.get('big')) ?? []).equals(payload)).toBe(true));
    expect(down).toBeGreaterThanOrEqual(payload.length / DOWN);
  });

  it('makes a new connection pay a round trip for its handshake and one for each exchange', async () => {
    await open(RTT_MS);
    // A new connection: handshake + request/response, two round trips at least.
    const first = await timed(() => storage.head('nothing-here'));
    expect(first).toBeGreaterThanOrEqual((2 * RTT_MS) / 1000);
    // Every exchange after it pays at least one.
    const again = await timed(() => storage.head('nothing-here'));
    expect(again).toBeGreaterThanOrEqual(RTT_MS / 1000);
  });

  it('carries uploads in parts over a link with a round trip, and the object arrives whole', async () => {
    await open(RTT_MS);
    // Over 8 MiB: a multipart upload, each part sent with Expect: 100-continue on a connection the server
    // closes after its answer. The answer's last bytes must still reach the client (they once did not).
    storage = new S3Storage({ endpoint: link.url, bucket: s3.bucket, ...s3.credentials, maxAttempts: 1 });
    const payload = randomBytes(9 * 1024 * 1024);
    const up = await timed(() => storage.put('parts', payload));
    expect(up).toBeGreaterThanOrEqual(payload.length / UP);
    expect(Buffer.from((await storage.get('parts')) ?? []).equals(payload)).toBe(true);
  });
});
