import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { shardDtype } from '../../../services/data/shard-dtype';
import { formatBytes } from '../../../services/hardware/values';
import { headlessAppPaths } from '../../../platform/app-paths';
import { writeFileAtomically } from '../../../platform/atomic-file';
import type { RunManifest, ShardSpec } from '../../../ports/run-manifest';
import { initialWeightsProblem } from '../../../services/run/initial-weights';
import { trainerModel } from '../../../adapters/trainer/trainer-config';
import { publishStorageCommitment } from '../../../services/run/publish-commitment';
import { signManifest } from '../../../services/run/signed-manifest';
import { S3Storage } from '../../../adapters/storage/s3-storage';
import { CliError } from '../run-context';
import { savedBucket } from '../saved-bucket';
import { runManifestKey, runPrefix } from '../../../services/run/run-on-chain';
import { openRunChain, parseOrExplain, readManifestJson, unlockOwnerHotkey, withGenesis, type SignOptions } from '../run-owner';

export interface CreateOptions extends SignOptions {
  /** A folder of token shards (.bin / .npy) to upload into the owner's bucket and list in the manifest. */
  shards?: string;
  /** A trainer checkpoint holding no window yet: the weights every peer starts from. */
  initial?: string;
  storagePassphraseEnv?: string;
}

/**
 * `tandem run create <manifest.json> --shards <folder>`: publishes a run from
 * its owner's machine. The shards go into the owner's bucket (the one saved
 * with `tandem storage set`) and are listed with their sizes and hashes as
 * `s3://` URLs; the manifest is signed with the chain's genesis hash and put
 * under the subnet's key (runs/subnet-<netuid>/run.json); the owner's storage
 * commitment tells every peer how to read that bucket. Peers then join with
 * the subnet alone (when the owner owns it) or the owner's hotkey.
 */
export async function runCreate(file: string, options: CreateOptions, out: (line: string) => void): Promise<number> {
  const read = await readManifestJson(file);
  const { source } = read;
  let { raw } = read;
  // Checked before anything is uploaded; checked again once the shards and weights are listed in it.
  const written = parseOrExplain(raw, source);
  const bucket = await savedBucket(headlessAppPaths(), options.storagePassphraseEnv);
  if (!bucket) throw new CliError('a run is published in its owner\u2019s bucket: save one first (tandem storage set)');
  const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
  const storage = new S3Storage({ ...location, ...bucket.write });
  // One run per subnet: its manifest lies under the key peers look for (docs/PROTOCOL.md, "Finding a run").
  const netuid = written.chain.netuid;
  const prefix = runPrefix(netuid);
  try {
    let data = raw['data'] as Record<string, unknown>;
    if (options.shards) {
      const shards = await uploadShards(path.resolve(options.shards), storage, bucket.bucket, `${prefix}/shards`, out);
      data = { ...data, shards };
    }
    let checkpoints = raw['checkpoints'] as Record<string, unknown> | undefined;
    if (options.initial) {
      const initial = await uploadInitialWeights(path.resolve(options.initial), written, storage, bucket.bucket, `${prefix}/initial.safetensors`);
      checkpoints = { ...checkpoints, initial };
      out(`  uploaded the initial weights (${formatBytes(initial.bytes)})`);
    }
    raw = { ...raw, data, ...(checkpoints ? { checkpoints } : {}) };
    const manifest = parseOrExplain(raw, source);
    const chain = await openRunChain(manifest, source);
    try {
      const { signer, wallets } = await unlockOwnerHotkey(options);
      const signed = await signManifest(withGenesis(raw, chain.genesisHash()), signer, source);
      // How peers read the owner's bucket (its shards, this manifest): its read key, published on chain.
      await publishStorageCommitment({ chain, netuid: manifest.chain.netuid, hotkey: signer, read: { ...location, ...bucket.read }, logger: pino({ level: 'silent' }) });
      await wallets.lock();
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      await storage.put(runManifestKey(netuid), new TextEncoder().encode(text));
      const local = path.resolve(options.out ?? source.replace(/(\.json)?$/, '.signed.json'));
      await writeFileAtomically(local, text);
      out(`Created ${manifest.name}, owned by ${signer.address}: the signed manifest is ${local} and s3://${bucket.bucket}/${runManifestKey(netuid)}.`);
      // Peers find the run from the subnet alone when its owner hotkey is the run's owner; otherwise they name the owner.
      const subnetOwner = await chain.subnetOwnerHotkey(netuid).catch(() => null);
      const owner = subnetOwner === signer.address ? '' : ` --run-owner ${signer.address}`;
      out(`Peers join with:`);
      out(`  tandem start --network ${manifest.chain.network} --netuid ${netuid}${owner}`);
      out(`(or --manifest <URL>${owner} with the signed file published at any https URL)`);
    } finally {
      await chain.close();
    }
  } finally {
    storage.close();
  }
  return 0;
}

/** Uploads the run's initial weights after checking they are a trainer checkpoint of its model holding no window yet. */
async function uploadInitialWeights(file: string, manifest: RunManifest, storage: S3Storage, bucket: string, key: string): Promise<{ url: string; bytes: number; sha256: string }> {
  const problem = await initialWeightsProblem(file, { ...trainerModel(manifest.model) });
  if (problem) throw new CliError(`--initial ${file}: ${problem}`);
  const bytes = new Uint8Array(await fs.readFile(file));
  await storage.put(key, bytes);
  return { url: `s3://${bucket}/${key}`, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
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
