import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainCommitment } from '../../../main/ports/chain-port';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { DevnetS3 } from '../../../main/devnet/storage/devnet-s3';
import { loadManifest } from '../../../main/services/run/load-manifest';
import { runManifestKey } from '../../../main/services/run/run-on-chain';
import { signManifest } from '../../../main/services/run/signed-manifest';
import { encodeStorageCommitment } from '../../../main/services/run/storage-commitment';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { devSigner } from '../../support/dev-signer';
import { makeTempDir } from '../../support/temp-dir';

const NETWORK = 'ws://127.0.0.1:9944';
const NETUID = 7;

/** A chain that answers only what finding a run reads: commitments and the subnet's owner hotkey. */
function fakeChain(commitments: Map<string, string>, subnetOwner: string | null) {
  const chain = {
    closed: 0,
    commitments: async (netuid: number) => new Map<string, ChainCommitment>(netuid === NETUID ? [...commitments].map(([hotkey, data]) => [hotkey, { hotkey, block: 1, data, fields: [new TextEncoder().encode(data)] }]) : []),
    subnetOwnerHotkey: async (netuid: number) => (netuid === NETUID ? subnetOwner : null),
    close: async () => void chain.closed++,
  };
  return chain;
}

function run(name: string, netuid = NETUID): Record<string, unknown> {
  const m = JSON.parse(JSON.stringify(devnetManifest())) as Record<string, unknown>;
  return { ...m, name, chain: { network: NETWORK, netuid, genesisHash: `0x${'cd'.repeat(32)}` } };
}

describe('a run found through its owner\u2019s commitment on chain', () => {
  const temp = makeTempDir('tandem-run-on-chain-');
  let s3: DevnetS3;
  let read: { endpoint: string; region: string; bucket: string; forcePathStyle: boolean; accessKeyId: string; secretAccessKey: string };
  let writer: S3Storage;
  const owner = devSigner('//RunOwner');
  const stranger = devSigner('//Stranger');

  beforeAll(async () => {
    await cryptoWaitReady();
    s3 = await DevnetS3.start({ root: path.join(temp.dir, 's3') });
    await s3.createBucket('owner-bucket');
    const write = await s3.issueKey({ bucket: 'owner-bucket', access: 'write' });
    const readKey = await s3.issueKey({ bucket: 'owner-bucket', access: 'read' });
    const location = { endpoint: s3.endpoint, region: 'auto', bucket: 'owner-bucket', forcePathStyle: true };
    read = { ...location, ...readKey };
    writer = new S3Storage({ ...location, ...write });
    const put = async (key: string, value: unknown) => writer.put(key, new TextEncoder().encode(JSON.stringify(value)));
    await put(runManifestKey(NETUID), await signManifest(run('found-by-subnet'), owner));
    await put('elsewhere/run.json', await signManifest(run('found-by-url'), owner));
    await put('elsewhere/strangers.json', await signManifest(run('not-the-owners'), stranger));
    await put('elsewhere/other-subnet.json', await signManifest(run('other-subnet', NETUID + 1), owner));
  });
  afterAll(async () => {
    writer.close();
    await s3.close();
    temp.cleanup();
  });

  const commitments = () => new Map([[owner.address, encodeStorageCommitment(read)]]);

  it('by its subnet alone: the subnet owner\u2019s bucket, under the subnet\u2019s key, signed by that owner', async () => {
    const chain = fakeChain(commitments(), owner.address);
    const verified = await loadManifest(null, { network: NETWORK, netuid: NETUID, openChain: async () => chain });
    expect(verified.manifest.name).toBe('found-by-subnet');
    expect(verified.owner).toBe(owner.address);
    expect(verified.source).toBe(`s3://owner-bucket/${runManifestKey(NETUID)}`);
    expect(chain.closed).toBe(1);
  });

  it('by an s3:// URL in the named owner\u2019s bucket, read with its published key', async () => {
    const chain = fakeChain(commitments(), null);
    const verified = await loadManifest('s3://owner-bucket/elsewhere/run.json', { network: NETWORK, netuid: NETUID, owner: owner.address, openChain: async () => chain });
    expect(verified.manifest.name).toBe('found-by-url');
  });

  it('refuses, naming why: no owner known, another signer, another bucket, another subnet, nothing published, no subnet', async () => {
    const open = (subnetOwner: string | null, c = commitments()) => ({ network: NETWORK, netuid: NETUID, openChain: async () => fakeChain(c, subnetOwner) });
    await expect(loadManifest(null, open(null))).rejects.toThrow(/does not say who owns subnet 7: name the run's owner \(--run-owner/);
    await expect(loadManifest('s3://owner-bucket/elsewhere/strangers.json', { ...open(owner.address) })).rejects.toThrow(/signature|signed by/);
    await expect(loadManifest('s3://another-bucket/run.json', open(owner.address))).rejects.toThrow(/publishes bucket owner-bucket, not another-bucket/);
    await expect(loadManifest('s3://owner-bucket/elsewhere/other-subnet.json', open(owner.address))).rejects.toThrow(/on subnet 8, not 7/);
    await expect(loadManifest(null, open(stranger.address))).rejects.toThrow(new RegExp(`owner ${stranger.address} has no storage commitment`));
    const strangersBucket = new Map([[stranger.address, encodeStorageCommitment({ ...read, bucket: 'owner-bucket' })]]);
    await expect(loadManifest(null, open(stranger.address, strangersBucket))).rejects.toThrow(/signature|signed by/);
    await expect(loadManifest(null, { ...open(null), netuid: NETUID + 1, owner: owner.address })).rejects.toThrow(/has no storage commitment on subnet 8/);
    await expect(loadManifest('s3://owner-bucket/elsewhere/nothing.json', open(owner.address))).rejects.toThrow(/no such object in the owner/);
    await expect(loadManifest('s3://owner-bucket/elsewhere/run.json', { network: NETWORK, openChain: async () => fakeChain(commitments(), owner.address) })).rejects.toThrow(/name the subnet too \(--netuid\)/);
    await expect(loadManifest(null, { network: NETWORK, openChain: async () => fakeChain(commitments(), owner.address) })).rejects.toThrow(/--manifest <file\|url>\) or its subnet \(--netuid\)/);
    await expect(loadManifest(null, { network: NETWORK, netuid: NETUID, openChain: async () => Promise.reject(new Error('connection refused')) })).rejects.toThrow(/cannot reach ws:\/\/127\.0\.0\.1:9944 to find the run \(connection refused\)/);
  });

  it('refuses a run whose owner published nothing for the subnet', async () => {
    await writer.delete([runManifestKey(NETUID)]);
    const chain = fakeChain(commitments(), owner.address);
    await expect(loadManifest(null, { network: NETWORK, netuid: NETUID, openChain: async () => chain })).rejects.toThrow(/has published no run for subnet 7 in its bucket \(tandem run create puts it there\)/);
    expect(chain.closed).toBe(1);
  });
});
