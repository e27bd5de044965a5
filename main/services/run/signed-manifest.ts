import { createHash } from 'node:crypto';
import { hexToU8a, isHex, stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, encodeAddress, signatureVerify } from '@polkadot/util-crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { describeIssues, issuesFromZod } from '../../../contract';
import type { ChainSigner } from '../../ports/chain-port';
import { ManifestError, parseManifest, type RunManifest } from '../../ports/run-manifest';

/**
 * A published run manifest: the manifest as its owner wrote it, the owner's
 * hotkey, and the owner's sr25519 signature (docs/PROTOCOL.md, "Run manifest").
 *
 * What is signed is not the JSON text but a digest of its canonical form
 * (RFC 8785: sorted keys, no spaces, one spelling per number), so the same
 * manifest reformatted by an editor or a web server still verifies, while one
 * changed value does not. The digest is prefixed with a domain tag so that a
 * manifest signature can never be replayed as a signature over anything else
 * the hotkey signs (extrinsics, commitments).
 */
export const SIGNED_MANIFEST_FORMAT = 'tandem-run/1';

const SignedManifestFile = z
  .object({
    format: z.literal(SIGNED_MANIFEST_FORMAT),
    /** SS58 address of the owner's hotkey. */
    owner: z.string().min(1),
    /** 0x-prefixed sr25519 signature over signedMessage(manifest). */
    signature: z.string().regex(/^0x[0-9a-fA-F]{128}$/, 'a 64-byte signature in 0x-prefixed hex'),
    manifest: z.record(z.string(), z.unknown()),
  })
  .strict();
export type SignedManifestFile = z.infer<typeof SignedManifestFile>;

/** A manifest whose signature (or, for a file on this machine, its absence) has been checked. */
export interface VerifiedManifest {
  manifest: RunManifest;
  /** The hotkey that signed it; null for an unsigned file on this machine. */
  owner: string | null;
  /** sha256 of the canonical manifest, hex: what the signature covers and what a chain pointer names. */
  digest: string;
  /** Where it was read from (a path or URL), for messages. */
  source: string;
}

/** The canonical JSON of a manifest (RFC 8785). */
export function canonicalManifest(manifest: Record<string, unknown>): string {
  const text = canonicalize(manifest);
  if (text === undefined) throw new Error('the manifest cannot be written as JSON');
  return text;
}

export function manifestDigest(manifest: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalManifest(manifest)).digest('hex');
}

/** The bytes the owner's hotkey signs. */
export function signedMessage(manifest: Record<string, unknown>): Uint8Array {
  return stringToU8a(`${SIGNED_MANIFEST_FORMAT}:${manifestDigest(manifest)}`);
}

/**
 * Signs a manifest as written (`raw`, before defaults are filled in: a newer
 * app with more defaults must still verify it), after checking it parses.
 */
export async function signManifest(raw: Record<string, unknown>, signer: ChainSigner, source = 'manifest'): Promise<SignedManifestFile> {
  parseManifest(raw, source);
  const signature = await signer.sign(signedMessage(raw));
  return { format: SIGNED_MANIFEST_FORMAT, owner: signer.address, signature: u8aToHex(signature), manifest: raw };
}

/** True when the text holds a signed manifest file rather than a bare manifest. */
export function looksSigned(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'format' in raw && 'signature' in raw;
}

/**
 * Checks a signed manifest file and returns its manifest. The signature is
 * checked before the manifest is parsed, and against `expectedOwner` when the
 * user named the run's owner; every failure names the source and says
 * "signature" when that is what failed.
 */
export async function verifySignedManifest(raw: unknown, source: string, expectedOwner?: string | null): Promise<VerifiedManifest> {
  const parsed = SignedManifestFile.safeParse(raw);
  if (!parsed.success) throw new ManifestError(source, `not a signed run manifest (${describeIssues(issuesFromZod(parsed.error))})`);
  const file = parsed.data;
  let owner: string;
  try {
    owner = encodeAddress(decodeAddress(file.owner), 42);
  } catch {
    throw new ManifestError(source, `owner "${file.owner}" is not an SS58 address`);
  }
  if (expectedOwner) {
    let expected: string;
    try {
      expected = encodeAddress(decodeAddress(expectedOwner), 42);
    } catch {
      throw new ManifestError(source, `the run owner you named, "${expectedOwner}", is not an SS58 address`);
    }
    if (expected !== owner) throw new ManifestError(source, `signed by ${owner}, not by the run owner you named (${expected}): this is not that run's manifest`);
  }
  await cryptoWaitReady();
  if (!isHex(file.signature)) throw new ManifestError(source, 'the signature is not hex');
  const check = signatureVerify(signedMessage(file.manifest), hexToU8a(file.signature), owner);
  if (!check.isValid || check.crypto !== 'sr25519') throw new ManifestError(source, `bad signature: the manifest was changed after ${owner} signed it, or someone else signed it`);
  const manifest = parseManifest(file.manifest, source);
  return { manifest, owner, digest: manifestDigest(file.manifest), source };
}
