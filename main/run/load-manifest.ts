import fs from 'node:fs/promises';
import path from 'node:path';
import { ManifestError, parseManifest } from './manifest';
import { looksSigned, manifestDigest, verifySignedManifest, type VerifiedManifest } from './signed-manifest';

export interface LoadManifestOptions {
  /** The network the user chose: a manifest for a run elsewhere is refused. */
  network: string;
  /** The run owner's hotkey the user named (SS58), when they did: the manifest must be signed by it. */
  owner?: string | null;
  /** How long a download may take, in ms. */
  timeoutMs?: number;
}

/** A manifest is a page of JSON: anything far bigger is not one. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Names a run: a URL (http or https) or a path on this machine. */
export function isManifestUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Reads the run manifest named by `source` and checks it before anything
 * else uses it: a manifest from the network must be signed (by `owner` when
 * named), and a manifest of another network's run is refused. A bare manifest
 * is taken only from a file on this machine (the user's own run), and only
 * when no owner was named. Every error names the source.
 */
export async function loadManifest(source: string, options: LoadManifestOptions): Promise<VerifiedManifest> {
  const remote = isManifestUrl(source);
  if (/^s3:\/\//i.test(source)) throw new ManifestError(source, 'an s3:// manifest is read through its bucket\u2019s https URL: give that URL instead');
  const where = remote ? source : path.resolve(source);
  const text = remote ? await download(source, options.timeoutMs ?? 20_000) : await readLocal(where);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(where, `not valid JSON (${(error as Error).message})`);
  }
  let verified: VerifiedManifest;
  if (looksSigned(raw)) {
    verified = await verifySignedManifest(raw, where, options.owner ?? null);
    if (!verified.manifest.chain.genesisHash) throw new ManifestError(where, 'a signed manifest must name its chain\u2019s genesis hash (chain.genesisHash; `tandem run sign` fills it in)');
  } else {
    if (remote) throw new ManifestError(where, 'this manifest is not signed: a run published on the network must be signed by its owner (`tandem run sign`)');
    if (options.owner) throw new ManifestError(where, `this manifest is not signed, so it cannot be the run of ${options.owner}`);
    verified = { manifest: parseManifest(raw, where), owner: null, digest: manifestDigest(raw as Record<string, unknown>), source: where };
  }
  const { network } = verified.manifest.chain;
  if (network !== options.network) throw new ManifestError(where, `this run is on ${network}, not ${options.network}: choose that network, or the manifest of a run on ${options.network}`);
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
