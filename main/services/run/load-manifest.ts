import fs from 'node:fs/promises';
import path from 'node:path';
import { ManifestError, parseManifest } from '../../ports/run-manifest';
import { readRunFromChain } from './run-on-chain';
import { looksSigned, manifestDigest, verifySignedManifest, type VerifiedManifest } from './signed-manifest';
import type { ChainPort } from '../../ports/chain-port';
import { openSubtensor } from '../chain/open-subtensor';

export interface LoadManifestOptions {
  /** The network the user chose: a manifest for a run elsewhere is refused. */
  network: string;
  /** The run owner's hotkey the user named (SS58), when they did: the manifest must be signed by it. */
  owner?: string | null;
  /** How long a download may take, in ms. */
  timeoutMs?: number;
  /** The run's subnet, when the user named it: a run found from the chain (no source, or s3://) needs it. */
  netuid?: number | null;
  /** Opens the network's chain, to find a run from it (default: the subtensor endpoint the network names). */
  openChain?(network: string): Promise<Pick<ChainPort, 'commitments' | 'subnetOwnerHotkey' | 'close'>>;
}

/** A manifest is a page of JSON: anything far bigger is not one. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Names a run by URL (http, https or s3), not by a path on this machine. */
export function isManifestUrl(source: string): boolean {
  return /^(https?|s3):\/\//i.test(source);
}

/**
 * Reads the run manifest named by `source` and checks it before anything
 * else uses it: a manifest from the network must be signed (by `owner` when
 * named), and a manifest of another network's run is refused. A bare manifest
 * is taken only from a file on this machine (the user's own run), and only
 * when no owner was named. Every error names the source.
 */
export async function loadManifest(source: string | null, options: LoadManifestOptions): Promise<VerifiedManifest> {
  // s3://, or no source but a subnet: the run is found through its owner's commitment on chain.
  if (source === null || /^s3:\/\//i.test(source)) return loadFromChain(source, options);
  const remote = isManifestUrl(source);
  const where = remote ? source : path.resolve(source);
  const text = remote ? await download(source, options.timeoutMs ?? 20_000) : await readLocal(where);
  return checkManifest(text, where, { remote, owner: options.owner ?? null, network: options.network });
}

/** The run in its owner's bucket (named by s3:// URL, or by the subnet's fixed key), signed by that owner. */
async function loadFromChain(url: string | null, options: LoadManifestOptions): Promise<VerifiedManifest> {
  const where = url ?? `the run on ${options.network}`;
  const netuid = options.netuid ?? null;
  if (netuid === null) throw new ManifestError(where, url ? 'an s3:// manifest is read with its owner\u2019s published read key: name the subnet too (--netuid)' : 'name the run: its manifest (--manifest <file|url>) or its subnet (--netuid)');
  const chain = await (options.openChain ?? openRunChain)(options.network).catch((error: unknown) => {
    throw new ManifestError(where, `cannot reach ${options.network} to find the run (${(error as Error).message})`);
  });
  let found;
  try {
    found = await readRunFromChain(chain, { netuid, owner: options.owner ?? null, url, maxBytes: MAX_MANIFEST_BYTES });
  } finally {
    await chain.close();
  }
  const verified = await checkManifest(found.text, found.source, { remote: true, owner: found.owner, network: options.network });
  if (verified.manifest.chain.netuid !== netuid) throw new ManifestError(found.source, `this run is on subnet ${verified.manifest.chain.netuid}, not ${netuid}`);
  return verified;
}

/** The network's subtensor chain (the project's one opener); the embedded devnet has no run to find on chain. */
async function openRunChain(network: string): Promise<Pick<ChainPort, 'commitments' | 'subnetOwnerHotkey' | 'close'>> {
  const chain = await openSubtensor(network);
  if (!chain) throw new Error(`${network} is not a subtensor network`);
  return chain;
}

/** A manifest's text checked: signed when it came from the network (by `owner` when named), and of this network. */
async function checkManifest(text: string, where: string, expect: { remote: boolean; owner: string | null; network: string }): Promise<VerifiedManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(where, `not valid JSON (${(error as Error).message})`);
  }
  let verified: VerifiedManifest;
  if (looksSigned(raw)) {
    verified = await verifySignedManifest(raw, where, expect.owner);
    if (!verified.manifest.chain.genesisHash) throw new ManifestError(where, 'a signed manifest must name its chain\u2019s genesis hash (chain.genesisHash; `tandem run sign` fills it in)');
  } else {
    if (expect.remote) throw new ManifestError(where, 'this manifest is not signed: a run published on the network must be signed by its owner (`tandem run sign`)');
    if (expect.owner) throw new ManifestError(where, `this manifest is not signed, so it cannot be the run of ${expect.owner}`);
    verified = { manifest: parseManifest(raw, where), owner: null, digest: manifestDigest(raw as Record<string, unknown>), source: where };
  }
  const { network } = verified.manifest.chain;
  if (network !== expect.network) throw new ManifestError(where, `this run is on ${network}, not ${expect.network}: choose that network, or the manifest of a run on ${expect.network}`);
  return verified;
}

async function readLocal(file: string): Promise<string> {
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_MANIFEST_BYTES) throw new ManifestError(file, `${stat.size} bytes is too big for a run manifest`);
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(file, `cannot read the run manifest (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

async function download(url: string, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    // fetch follows at most 20 redirects, then fails: a redirect loop ends as an error here.
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new ManifestError(url, `cannot download the run manifest (${cause})`);
  }
  if (!response.ok) throw new ManifestError(url, `cannot download the run manifest (HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''})`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_MANIFEST_BYTES) throw new ManifestError(url, `${declared} bytes is too big for a run manifest`);
  const body = await response.arrayBuffer();
  if (body.byteLength > MAX_MANIFEST_BYTES) throw new ManifestError(url, `${body.byteLength} bytes is too big for a run manifest`);
  return new TextDecoder().decode(body);
}
