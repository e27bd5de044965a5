import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validatePayload } from '../../../main/adapters/codec';
import { gradientKey } from '../../../main/ports/object-keys';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { useDevnet } from '../../support/devnet-peers';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port where a dead server used to be: every connection is reset at once, and counted. */
async function resettingServer(port: number): Promise<{ connections: number; close(): Promise<void> }> {
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return Object.assign(state, { close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

describe('RoundEngine with S3 storage', () => {
  const bed = useDevnet(50);
  let s3: LocalS3;
  let link: ThrottleProxy | undefined;

  beforeEach(async () => {
    s3 = await startLocalS3();
  });

  // Runs before the devnet's teardown, which stops the engine: the test's own leave has stopped it already.
  afterEach(async () => {
    await link?.close();
    await s3.stop();
  });

  it('the S3 server going away mid-upload: retries, the window is missed, nothing corrupt is stored, and the next window is fine', async () => {
    // A slow uplink, so the first upload is still going when the server disappears.
    link = await startThrottleProxy({ targetPort: s3.port, upBytesPerSecond: 200, downBytesPerSecond: 1_000_000, chunkBytes: 64, burstBytes: 64 });
    const port = link.port;
    const storage = new S3Storage({ endpoint: link.url, bucket: s3.bucket, ...s3.credentials });
    const direct = new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, ...s3.credentials });
    const manifest = vectorEngineManifest(bed.dir, 'engine-s3-test', { perPeerTimeoutSeconds: 1, gatherCapSeconds: 2 });
    const { uid, engine, ledger } = await bed.devnet.add('Alice', { manifest, trainer: (u) => new VectorTrainer(u), engine: { storage, peerStorage: () => storage, uploadAttempts: 2 } });
    await engine.join();

    // The upload has started: the server goes away (its port resets every connection).
    const firstWindow = await until('the first upload to start', () => (link!.bytes.up > 0 ? engine.current.window! : undefined));
    await link.close();
    link = undefined;
    const dead = await resettingServer(port);
    const missed = await until('the window to be missed', async () => (await ledger.read()).records.find((r) => r.window === firstWindow && r.phase === 'missed'));
    expect(missed.reason).toMatch(/^upload failed: /);
    // The SDK tried again before giving up.
    expect(dead.connections).toBeGreaterThanOrEqual(1);

    // The server is back, on the same address.
    await dead.close();
    link = await startThrottleProxy({ targetPort: s3.port, upBytesPerSecond: 100_000_000, downBytesPerSecond: 100_000_000, listenPort: port });
    const fine = await until('a window uploaded and applied after the outage', async () =>
      (await ledger.summaries()).find((s) => s.window > firstWindow && s.phases.includes('uploaded') && s.phases.includes('applied') && s.reason === undefined),
    );
    await engine.leave('after-round');

    // Nothing half-written of the failed window; the later one is whole and valid.
    expect(await direct.head(gradientKey(firstWindow, uid, '1'))).toBeNull();
    const stored = await direct.get(gradientKey(fine.window, uid, '1'));
    expect(stored).not.toBeNull();
    expect((await validatePayload(stored!)).ok).toBe(true);
    expect(fine.bytesUp).toBe(stored!.byteLength);
    storage.close();
    direct.close();
  });
});
