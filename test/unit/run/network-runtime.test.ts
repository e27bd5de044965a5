import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetworkRuntime, NotRegisteredError, type NetworkRuntime } from '../../../main/network/network-runtime';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { devSigner } from '../../support/dev-signer';
import { DEVNET_NETUID, roundsDone, until, useDevnet } from '../../support/devnet-peers';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

/**
 * The one runtime every network joins through, on a chain port and S3
 * buckets: each peer publishes its bucket as a commitment and reads the
 * others' from theirs. (The app's devnet and a real network differ only in
 * the chain endpoint and the buckets they are given.)
 */
describe('createNetworkRuntime', () => {
  const bed = useDevnet(300, 'all');
  let s3: LocalS3;
  const runtimes: NetworkRuntime[] = [];
  /** Each peer's published read key id, by hotkey. */
  const readKeys = new Map<string, string>();

  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await s3.stop();
  });

  /** Each peer's own bucket, with a write key that stays with it and a read key it publishes. */
  async function bucketFor(name: string) {
    const bucket = `peer-${name.toLowerCase()}`;
    await s3.server.createBucket(bucket);
    return { bucket, write: await s3.server.issueKey({ bucket, access: 'write' }), read: await s3.server.issueKey({ bucket, access: 'read' }) };
  }

  async function join(name: string, register = true): Promise<NetworkRuntime> {
    const manifest = vectorEngineManifest(bed.dir, 'network-runtime-test', { blocksPerWindow: 5, blockSeconds: 0.3, uploadDeadlineSeconds: 0.6, uploadGraceSeconds: 0, perPeerTimeoutSeconds: 1, gatherCapSeconds: 8 });
    const hotkey = devSigner(`//${name}`);
    if (register) await bed.devnet.chain.register(DEVNET_NETUID, hotkey.address, hotkey);
    const { bucket, write, read } = await bucketFor(name);
    readKeys.set(hotkey.address, read.accessKeyId);
    const location = { endpoint: s3.endpoint, region: 'auto', bucket, forcePathStyle: true };
    const runtime = await createNetworkRuntime({
      manifest,
      chain: bed.devnet.chain,
      hotkey,
      storage: { write: new S3Storage({ ...location, ...write }), read: { ...location, ...read } },
      trainer: (uid) => new VectorTrainer(uid),
      folder: path.join(bed.dir, name),
      logger: pino({ level: 'silent' }),
    });
    runtimes.push(runtime);
    return runtime;
  }

  it('peers that know each other only through their commitments train one model', async () => {
    const peers = [await join('Alice'), await join('Bob'), await join('Charlie')];
    const commitments = await bed.devnet.chain.commitments(DEVNET_NETUID);
    expect(peers.map((p) => commitments.get(p.hotkey)?.data)).toEqual(peers.map(() => expect.stringMatching(/^tandem\/1 http:\/\/127\.0\.0\.1:\d+ peer-[a-z]+ /)));
    for (const peer of peers) {
      await peer.directory.refresh();
      expect(peer.directory.all().map((e) => [e.uid, e.unreachable])).toEqual(peers.map((p) => [p.uid, null]).sort((a, b) => (a[0] as number) - (b[0] as number)));
    }

    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3, 60_000);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));
    const digests = peers.map((p) => (p.trainer as VectorTrainer).digest());
    expect(new Set(digests).size).toBe(1);
    // Each gathered the two others from their own buckets.
    for (const peer of peers) {
      for (const other of peers.filter((p) => p !== peer)) expect(peer.traffic.of(other.uid)?.bytes).toBeGreaterThan(0);
    }
    // The published keys are read-only: nobody was warned that theirs can write.
    expect(peers.flatMap((p) => p.notices())).toEqual([]);
  }, 90_000);

  it('a peer that commits garbage is listed as unreachable with the reason and skipped', async () => {
    const mallory = devSigner('//Mallory');
    await bed.devnet.chain.register(DEVNET_NETUID, mallory.address, mallory);
    await bed.devnet.chain.commit(DEVNET_NETUID, 'hello from a foreign client', mallory);
    const alice = runtimes[0]!;
    await alice.directory.refresh();
    const uid = (await bed.devnet.chain.uidOf(DEVNET_NETUID, mallory.address))!;
    expect(alice.directory.entryOf(uid)).toMatchObject({ unreachable: 'not a Tandem storage commitment (it starts with "hello")', storage: null });

    const before = alice.engine.current.completedRounds;
    await Promise.all(runtimes.map((r) => r.engine.join()));
    await until(() => alice.engine.current.completedRounds >= before + 2, () => `rounds ${alice.engine.current.completedRounds}`);
    await Promise.all(runtimes.map((r) => r.engine.leave('after-round')));
    expect(new Set(runtimes.map((p) => (p.trainer as VectorTrainer).digest())).size).toBe(1);
  }, 90_000);

  it('a peer whose published read key is revoked is left out by everyone, itself included: one model still', async () => {
    const [alice, , charlie] = runtimes as [NetworkRuntime, NetworkRuntime, NetworkRuntime];
    await s3.server.revokeKey(readKeys.get(charlie.hotkey)!);
    const from = Math.max(...runtimes.map((r) => r.engine.current.completedRounds));
    await Promise.all(runtimes.map((r) => r.engine.join()));
    await until(() => runtimes.every((r) => r.engine.current.completedRounds >= from + 3), () => `rounds ${runtimes.map((r) => r.engine.current.completedRounds).join(',')}`);
    await Promise.all(runtimes.map((r) => r.engine.leave('after-round')));
    expect(new Set(runtimes.map((p) => (p.trainer as VectorTrainer).digest())).size).toBe(1);
    // The others name why; Charlie's own ledger says its update did not count.
    expect(alice.traffic.of(charlie.uid)).toMatchObject({ lastOutcome: 'failed', lastReason: expect.stringMatching(/403/) });
    const { records } = await charlie.ledger.read();
    expect(records.some((r) => r.phase === 'missed' && /own update left out: the others cannot read it through the published read key/.test(r.reason ?? ''))).toBe(true);
  }, 90_000);

  it('new storage keys while joined are committed on chain and used from the next upload', async () => {
    const bob = runtimes[1]!;
    const { bucket, write, read } = await bucketFor('Bob2');
    const location = { endpoint: s3.endpoint, region: 'auto', bucket, forcePathStyle: true };
    await bob.useStorage({ write: new S3Storage({ ...location, ...write }), read: { ...location, ...read } });
    expect((await bed.devnet.chain.commitments(DEVNET_NETUID)).get(bob.hotkey)?.data).toContain(` ${bucket} ${read.accessKeyId} `);
    const from = Math.max(...runtimes.map((r) => r.engine.current.completedRounds));
    await Promise.all(runtimes.map((r) => r.engine.join()));
    await until(() => runtimes.every((r) => r.engine.current.completedRounds >= from + 3), () => `rounds ${runtimes.map((r) => r.engine.current.completedRounds).join(',')}`);
    await Promise.all(runtimes.map((r) => r.engine.leave('after-round')));
    const moved = new S3Storage({ ...location, ...read });
    expect((await moved.list('gradient-')).length).toBeGreaterThan(0);
    moved.close();
    expect(new Set(runtimes.map((p) => (p.trainer as VectorTrainer).digest())).size).toBe(1);
  }, 90_000);

  it('a hotkey with no uid on the subnet is told to register', async () => {
    await expect(join('Eve', false)).rejects.toThrow(NotRegisteredError);
    await expect(join('Ferdie', false)).rejects.toThrow(/is not registered on subnet 3 of devnet\. Register it first/);
  });
});
