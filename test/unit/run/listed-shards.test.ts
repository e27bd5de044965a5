import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardAssignment } from '../../../main/services/data/shard-assignment';
import { shardFileName } from '../../../main/services/data/shard-file-name';
import { parseManifest, type RunManifest, type ShardSpec } from '../../../main/ports/run-manifest';
import { createNetworkRuntime, type NetworkRuntime } from '../../../main/network/network-runtime';
import { downloadNote, ListedShards } from '../../../main/services/run/listed-shards';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { devSigner } from '../../support/dev-signer';
import { DEVNET_NETUID, roundsDone, useDevnet } from '../../support/devnet-peers';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { shardSpec, startShardServer, type ShardServer } from '../../support/shard-http-server';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

/** A shard of `tokens` uint16 tokens in the llm.c layout (the bytes only matter to the hash here). */
function shardBytes(seed: number, tokens = 4096): Buffer {
  const header = Buffer.alloc(1024);
  header.writeInt32LE(20240520, 0);
  header.writeInt32LE(1, 4);
  header.writeInt32LE(tokens, 8);
  const body = Buffer.alloc(tokens * 2);
  for (let i = 0; i < tokens; i++) body.writeUInt16LE((i * 31 + seed * 7) % 256, i * 2);
  return Buffer.concat([header, body]);
}

/**
 * A run that lists its shards by URL: each window, a peer trains on the
 * shards the assignment gives it, fetched into its shard cache and checked by
 * sha256 first; a shard the server corrupts once is fetched again, one that
 * never verifies stops that window with the reason.
 */
describe('ListedShards: a run whose data is a list of shard URLs', () => {
  const bed = useDevnet(300, 'all');
  let server: ShardServer;
  let s3: LocalS3;
  const files = new Map<string, Buffer>();
  const runtimes: NetworkRuntime[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) files.set(`train_${i}.bin`, shardBytes(i));
    files.set('val_0.bin', shardBytes(99));
    server = await startShardServer(files);
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await server.close();
    await s3.stop();
  });

  const specs = (route: (name: string) => string): ShardSpec[] =>
    [...files].map(([name, bytes]) => shardSpec(bytes, `${server.base}/${route(name)}/${name}`, name.startsWith('val') ? 'val' : 'train'));
  const manifestWith = (shards: ShardSpec[]): RunManifest => {
    const base = vectorEngineManifest(bed.dir, 'listed-shards-test', { blocksPerWindow: 5, blockSeconds: 0.3, uploadDeadlineSeconds: 0.6, uploadGraceSeconds: 0, perPeerTimeoutSeconds: 1, gatherCapSeconds: 8 });
    return parseManifest({ ...JSON.parse(JSON.stringify(base)), data: { shards, shardsPerPeer: 2 } }, 'test');
  };

  it('gives a window the peer\u2019s assigned shards, verified, with progress; fetches a shard corrupted once again; refuses one that never verifies', async () => {
    const listed = specs((name) => (name === 'train_2.bin' ? 'flaky' : name === 'train_4.bin' ? 'corrupt' : 'ok'));
    const manifest = manifestWith(listed);
    const data = new ListedShards({ manifest, peerId: '7', cacheDir: path.join(bed.dir, 'cache-a'), capBytes: null, logger: pino({ level: 'silent' }) });
    const assignment = new ShardAssignment({ shards: listed, shardsPerPeer: 2 });
    const corrupt = listed.findIndex((s) => s.url.includes('/corrupt/'));
    const flaky = listed.findIndex((s) => s.url.includes('/flaky/'));
    // Windows whose assignment has the flaky shard and not the corrupt one, and one with the corrupt one.
    const windows = Array.from({ length: 200 }, (_, w) => w);
    const good = windows.find((w) => assignment.assigned('7', w).includes(flaky) && !assignment.assigned('7', w).includes(corrupt))!;
    const bad = windows.find((w) => assignment.assigned('7', w).includes(corrupt))!;

    const notes: string[] = [];
    const got = await data.shardsFor(good, (n) => notes.push(n));
    expect(got).toEqual(assignment.assigned('7', good).map((i) => path.join(bed.dir, 'cache-a', shardFileName(listed[i]!))));
    for (const [k, file] of got.entries()) expect(fs.readFileSync(file).equals(files.get(path.basename(new URL(listed[assignment.assigned('7', good)[k]!]!.url).pathname))!)).toBe(true);
    expect(notes.at(-1)).toMatch(/^Downloading this window's data: .* of .* \(shard \d of 2\)\.$/);
    // The flaky shard was fetched twice: its first copy did not match the manifest's sha256.
    expect(server.countOf(new URL(listed[flaky]!.url).pathname)).toBeGreaterThanOrEqual(2);

    await expect(data.shardsFor(bad, () => {})).rejects.toThrow(/training is blocked because shard .*train_4\.bin never verified/);
    expect(downloadNote({ bytesDone: 1024 ** 2, bytesTotal: 4 * 1024 ** 2, bytesPerSecond: 1024 ** 2, etaSeconds: 3, currentUrl: null, shardsDone: 0, shardsTotal: 2 })).toBe(
      "Downloading this window's data: 1.0 MiB of 4.0 MiB at 1.0 MiB/s, about 3 s left (shard 1 of 2).",
    );
  });

  it('peers train each window on the shards assigned to them, and still hold one model', async () => {
    const listed = specs(() => 'ok');
    const manifest = manifestWith(listed);
    const assignment = new ShardAssignment({ shards: listed, shardsPerPeer: 2 });
    for (const name of ['Alice', 'Bob']) {
      const hotkey = devSigner(`//${name}`);
      await bed.devnet.chain.register(DEVNET_NETUID, hotkey.address, hotkey);
      const bucket = `peer-${name.toLowerCase()}`;
      await s3.server.createBucket(bucket);
      const [write, read] = [await s3.server.issueKey({ bucket, access: 'write' }), await s3.server.issueKey({ bucket, access: 'read' })];
      const location = { endpoint: s3.endpoint, region: 'auto', bucket, forcePathStyle: true };
      const cacheDir = path.join(bed.dir, name, 'cache');
      runtimes.push(
        await createNetworkRuntime({
          manifest,
          chain: bed.devnet.chain,
          hotkey,
          storage: { write: new S3Storage({ ...location, ...write }), read: { ...location, ...read } },
          trainer: (uid) => new VectorTrainer(uid),
          data: (uid) => new ListedShards({ manifest, peerId: String(uid), cacheDir, capBytes: null, logger: pino({ level: 'silent' }) }),
          folder: path.join(bed.dir, name),
          logger: pino({ level: 'silent' }),
        }),
      );
    }
    await Promise.all(runtimes.map((r) => r.engine.join()));
    await roundsDone(runtimes, 3, 60_000);
    await Promise.all(runtimes.map((r) => r.engine.leave('after-round')));
    for (const runtime of runtimes) {
      const trainer = runtime.trainer as VectorTrainer;
      expect(trainer.shardsByWindow.size).toBeGreaterThanOrEqual(3);
      for (const [window, shards] of trainer.shardsByWindow) {
        expect(shards.map((f) => path.basename(f))).toEqual(assignment.assigned(String(runtime.uid), window).map((i) => shardFileName(listed[i]!)));
      }
    }
    // The same model after every window both applied (one may have left a window later than the other).
    const digests = await Promise.all(runtimes.map(async (r) => new Map((await r.ledger.summaries()).filter((s) => s.modelDigest).map((s) => [s.window, s.modelDigest]))));
    const common = [...digests[0]!.keys()].filter((w) => digests[1]!.has(w));
    expect(common.length).toBeGreaterThanOrEqual(2);
    for (const w of common) expect(digests[1]!.get(w), `window ${w}`).toBe(digests[0]!.get(w));
  }, 90_000);
});
