import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { shardDtype } from '../../data/shard-dtype';
import { formatBytes } from '../../hardware/values';
import { headlessAppPaths } from '../../platform/app-paths';
import { writeFileAtomically } from '../../platform/atomic-file';
import type { ShardSpec } from '../../run/manifest';
import { publishStorageCommitment } from '../../run/publish-commitment';
import { signManifest } from '../../run/signed-manifest';
import { S3Storage } from '../../storage/s3-storage';
import { CliError } from '../run-context';
import { savedBucket } from '../saved-bucket';
import { openRunChain, parseOrExplain, readManifestJson, unlockOwnerHotkey, withGenesis, type SignOptions } from '../run-owner';

export interface CreateOptions extends SignOptions {
  /** A folder of token shards (.bin / .npy) to upload into the owner's bucket and list in the manifest. */
  shards?: string;
  storagePassphraseEnv?: string;
}

/**
 * `tandem run create <manifest.json> --shards <folder>`: publishes a run from
 * its owner's machine. The shards go into the owner's bucket (the one saved
 * with `tandem storage set`) and are listed with their sizes and hashes as
 * `s3://` URLs; the manifest is signed with the chain's genesis hash and put
 * beside them; the owner's storage commitment tells every peer how to read
 * that bucket. Peers then join with the manifest's URL and the owner's hotkey.
 */
export async function runCreate(file: string, options: CreateOptions, out: (line: string) => void): Promise<number> {
  const { source, raw } = await readManifestJson(file);
  parseOrExplain(raw, source);
  const bucket = await savedBucket(headlessAppPaths(), options.storagePassphraseEnv);
  if (!bucket) throw new CliError('a run is published in its owner\u2019s bucket: save one first (tandem storage set)');
  const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
  const storage = new S3Storage({ ...location, ...bucket.write });
  const name = String(raw['name']);
  const prefix = `runs/${name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}`;
  try {
    let data = raw['data'] as Record<string, unknown>;
    if (options.shards) {
      const shards = await uploadShards(path.resolve(options.shards), storage, bucket.bucket, `${prefix}/shards`, out);
      data = { ...data, shards };
    }
    const manifest = parseOrExplain({ ...raw, data }, source);
    const chain = await openRunChain(manifest, source);
    try {
      const { signer, wallets } = await unlockOwnerHotkey(options);
      const signed = await signManifest(withGenesis({ ...raw, data }, chain.genesisHash()), signer, source);
      // How peers read the owner's bucket (its shards, this manifest): its read key, published on chain.
      await publishStorageCommitment({ chain, netuid: manifest.chain.netuid, hotkey: signer, read: { ...location, ...bucket.read }, logger: pino({ level: 'silent' }) });
      await wallets.lock();
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      await storage.put(`${prefix}/run.json`, new TextEncoder().encode(text));
      const local = path.resolve(options.out ?? source.replace(/(\.json)?$/, '.signed.json'));
      await writeFileAtomically(local, text);
      out(`Created ${manifest.name}, owned by ${signer.address}: the signed manifest is ${local} and s3://${bucket.bucket}/${prefix}/run.json.`);
      out(`Publish the manifest at any https URL (or serve that file); peers join with:`);
      out(`  tandem start --network ${manifest.chain.network} --manifest <its URL> --run-owner ${signer.address}`);
    } finally {
      await chain.close();
    }
  } finally {
    storage.close();
  }
  return 0;
}

/** Uploads every shard of the folder (bytewise name order) and lists it for the manifest. */
async function uploadShards(folder: string, storage: S3Storage, bucket: string, prefix: string, out: (line: string) => void): Promise<ShardSpec[]> {
  const names = (await fs.readdir(folder).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`--shards ${folder}: ${error.code ?? error.message}`);
  }))
    .filter((n) => n.endsWith('.bin') || n.endsWith('.npy'))
    .sort();
  if (!names.some((n) => !/val/.test(n))) throw new CliError(`--shards ${folder}: no train shards (.bin or .npy files whose names do not say "val")`);
  const specs: ShardSpec[] = [];
  for (const name of names) {
    // Shards are read whole: an llm.c shard is at most a few hundred MB.
    const bytes = new Uint8Array(await fs.readFile(path.join(folder, name)));
    let dtype: ShardSpec['dtype'];
    try {
      dtype = shardDtype(name, bytes.subarray(0, 1024));
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    const key = `${prefix}/${name}`;
    await storage.put(key, bytes);
    specs.push({ url: `s3://${bucket}/${key}`, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), dtype, split: /val/.test(name) ? 'val' : 'train' });
    out(`  uploaded ${name} (${formatBytes(bytes.byteLength)}, ${dtype})`);
  }
  return specs;
}
