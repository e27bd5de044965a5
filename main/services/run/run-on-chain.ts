import type { ChainPort } from '../../ports/chain-port';
import { parseS3Url } from '../data/shard-source';
import { ManifestError } from '../../ports/run-manifest';
import { ownerReadAccess } from './owner-bucket';
import { openReadOnly } from './peer-directory';

/**
 * A run found from the chain (docs/PROTOCOL.md, "Finding a run"): the run
 * owner's storage commitment on the subnet names its bucket and read key, and
 * the signed manifest lies in that bucket under a key fixed by the subnet.
 * The owner is the hotkey the user named, else the subnet's owner hotkey as
 * the chain says. Nothing read here is trusted: the caller verifies the
 * manifest's signature against the owner found.
 */
export function runManifestKey(netuid: number): string {
  return `runs/subnet-${netuid}/run.json`;
}

/** The owner's bucket prefix under which `tandem run create` puts a subnet's run (its manifest, its shards). */
export function runPrefix(netuid: number): string {
  return `runs/subnet-${netuid}`;
}

export interface RunOnChain {
  /** The manifest's bytes as text, not yet verified. */
  text: string;
  /** Where it was read: s3://bucket/key. */
  source: string;
  /** The hotkey whose bucket held it: the manifest must be signed by it. */
  owner: string;
}

export interface FindRunOptions {
  netuid: number;
  /** The owner the user named; null: the subnet's owner hotkey. */
  owner: string | null;
  /** An s3:// URL the user named (it must be in the owner's bucket); null: the subnet's fixed key. */
  url: string | null;
  maxBytes: number;
}

type RunChain = Pick<ChainPort, 'commitments' | 'subnetOwnerHotkey'>;

/** Reads the manifest of the run on `netuid` from its owner's bucket; every gap is a ManifestError saying what to give. */
export async function readRunFromChain(chain: RunChain, options: FindRunOptions): Promise<RunOnChain> {
  const { netuid } = options;
  const where = options.url ?? `the run of subnet ${netuid}`;
  const owner = options.owner ?? (await chain.subnetOwnerHotkey?.(netuid)) ?? null;
  if (!owner) throw new ManifestError(where, `this chain does not say who owns subnet ${netuid}: name the run's owner (--run-owner <hotkey>) or its manifest's URL (--manifest)`);
  let access;
  try {
    access = await ownerReadAccess(chain, netuid, owner);
  } catch (error) {
    throw new ManifestError(where, (error as Error).message);
  }
  let target: { bucket: string; key: string };
  try {
    target = options.url ? parseS3Url(options.url) : { bucket: access.bucket, key: runManifestKey(netuid) };
  } catch (error) {
    throw new ManifestError(where, (error as Error).message);
  }
  if (target.bucket !== access.bucket) throw new ManifestError(where, `the run owner ${owner} publishes bucket ${access.bucket}, not ${target.bucket}: an s3:// manifest is read from its owner's bucket only`);
  const source = `s3://${target.bucket}/${target.key}`;
  const storage = openReadOnly(access);
  try {
    const head = await storage.head(target.key);
    if (!head) throw new ManifestError(source, options.url ? 'no such object in the owner\u2019s bucket' : `the owner ${owner} has published no run for subnet ${netuid} in its bucket (tandem run create puts it there)`);
    if (head.size > options.maxBytes) throw new ManifestError(source, `${head.size} bytes is too big for a run manifest`);
    const bytes = await storage.get(target.key);
    if (!bytes) throw new ManifestError(source, 'the object went away while it was read');
    return { text: new TextDecoder().decode(bytes), source, owner };
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(source, `cannot read the run manifest from the owner\u2019s bucket (${(error as Error).message})`);
  } finally {
    storage.close();
  }
}
