/**
 * A peer's storage commitment: how anyone may read the payloads it uploads,
 * published on chain (commitments pallet, set_commitment) by its hotkey. The
 * read key is public by design; the write key never leaves the peer's machine.
 *
 * Format `tandem/1` (docs/PROTOCOL.md): printable ASCII, fields separated by
 * one space,
 *
 *     tandem/1 <endpoint> <bucket> <read key id> <read secret> [<region>]
 *
 * where <endpoint> is `r2:<account id>` (Cloudflare R2, region auto),
 * `aws:<region>` (AWS S3, virtual-hosted style) or an http(s) URL of any
 * S3-compatible server (path style; region `auto` unless given). The text is
 * cut into raw fields of at most 128 bytes (the pallet allows 3 per
 * commitment, so 384 bytes in all) and read back by joining them.
 */
export const COMMITMENT_FORMAT = 'tandem/1';
export const MAX_FIELD_BYTES = 128;
export const MAX_FIELDS = 3;

/** What a reader needs to reach a peer's bucket. */
export interface PeerReadAccess {
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export type CommitmentVerdict = { ok: true; access: PeerReadAccess } | { ok: false; reason: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TOKEN = /^[\x21-\x7e]{1,128}$/;
const ENDPOINT = /^[\x21-\x7e]{1,300}$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const R2_ACCOUNT = /^[0-9a-f]{32}$/;

export class CommitmentFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitmentFormatError';
  }
}

/** The endpoint as written in a commitment: short forms for R2 and AWS, the URL otherwise. */
export function endpointToken(access: Pick<PeerReadAccess, 'endpoint' | 'region'>): string {
  const url = new URL(access.endpoint);
  const r2 = /^([0-9a-f]{32})\.r2\.cloudflarestorage\.com$/.exec(url.host);
  if (r2 && url.protocol === 'https:' && url.pathname === '/') return `r2:${r2[1]}`;
  const aws = /^s3\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.host);
  if (aws && url.protocol === 'https:' && url.pathname === '/' && aws[1] === access.region) return `aws:${aws[1]}`;
  return url.href.replace(/\/$/, '');
}

/** The commitment text for this peer's read access; throws when it cannot be written in the format. */
export function encodeStorageCommitment(access: PeerReadAccess): string {
  const endpoint = endpointToken(access);
  const defaultRegion = endpoint.startsWith('aws:') ? access.region : 'auto';
  const parts = [COMMITMENT_FORMAT, endpoint, access.bucket, access.accessKeyId, access.secretAccessKey];
  if (access.region !== defaultRegion) parts.push(access.region);
  if (!ENDPOINT.test(endpoint)) throw new CommitmentFormatError('the endpoint cannot go into a commitment: it must be printable ASCII without spaces');
  for (const [name, value] of [['read key id', access.accessKeyId], ['read secret', access.secretAccessKey]] as const) {
    if (!TOKEN.test(value)) throw new CommitmentFormatError(`the ${name} cannot go into a commitment: it must be 1–128 printable ASCII characters without spaces`);
  }
  if (!BUCKET.test(access.bucket)) throw new CommitmentFormatError(`bucket "${access.bucket}" is not a valid S3 bucket name`);
  if (!REGION.test(access.region)) throw new CommitmentFormatError(`region "${access.region}" is not a valid region name`);
  const text = parts.join(' ');
  if (text.length > MAX_FIELD_BYTES * MAX_FIELDS) {
    throw new CommitmentFormatError(`the storage commitment would take ${text.length} bytes, over the chain's ${MAX_FIELDS} fields of ${MAX_FIELD_BYTES} bytes: use a shorter endpoint URL or bucket name`);
  }
  return text;
}

/** The raw fields of a commitment text, each at most 128 bytes, in order. */
export function commitmentFields(text: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const fields: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += MAX_FIELD_BYTES) fields.push(bytes.slice(at, at + MAX_FIELD_BYTES));
  if (fields.length > MAX_FIELDS) throw new CommitmentFormatError(`a commitment holds at most ${MAX_FIELDS} fields of ${MAX_FIELD_BYTES} bytes`);
  return fields;
}

/**
 * Reads a peer's commitment. Anything on chain is untrusted input: garbage, a
 * foreign format or a newer version is a reason, never an exception.
 */
export function decodeStorageCommitment(text: string): CommitmentVerdict {
  if (text.length === 0) return { ok: false, reason: 'empty commitment' };
  if (text.length > MAX_FIELD_BYTES * MAX_FIELDS) return { ok: false, reason: `commitment of ${text.length} bytes is longer than any this app writes` };
  if (!/^[\x20-\x7e]*$/.test(text)) return { ok: false, reason: 'not a Tandem storage commitment (it holds non-text bytes)' };
  const parts = text.split(' ');
  const format = parts[0] ?? '';
  const version = /^tandem\/(\d+)$/.exec(format);
  if (!version) return { ok: false, reason: `not a Tandem storage commitment (it starts with "${format.slice(0, 24)}")` };
  if (format !== COMMITMENT_FORMAT) return { ok: false, reason: `commitment format ${format} is not one this app reads (it reads ${COMMITMENT_FORMAT}): the peer runs a newer Tandem` };
  if (parts.length !== 5 && parts.length !== 6) return { ok: false, reason: `malformed ${COMMITMENT_FORMAT} commitment: ${parts.length - 1} fields where 4 or 5 are expected` };
  const [, endpoint, bucket, accessKeyId, secretAccessKey, regionPart] = parts as [string, string, string, string, string, string | undefined];
  if (!BUCKET.test(bucket)) return { ok: false, reason: `malformed commitment: "${bucket.slice(0, 70)}" is not a bucket name` };
  if (!TOKEN.test(accessKeyId) || !TOKEN.test(secretAccessKey)) return { ok: false, reason: 'malformed commitment: the read key is not a key' };
  if (regionPart !== undefined && !REGION.test(regionPart)) return { ok: false, reason: `malformed commitment: "${regionPart.slice(0, 40)}" is not a region` };
  const where = resolveEndpoint(endpoint, regionPart);
  if ('reason' in where) return { ok: false, reason: `malformed commitment: ${where.reason}` };
  return { ok: true, access: { ...where, bucket, accessKeyId, secretAccessKey } };
}

function resolveEndpoint(token: string, region: string | undefined): { endpoint: string; region: string; forcePathStyle: boolean } | { reason: string } {
  if (token.startsWith('r2:')) {
    const account = token.slice(3);
    if (!R2_ACCOUNT.test(account)) return { reason: `"${account.slice(0, 40)}" is not an R2 account id` };
    return { endpoint: `https://${account}.r2.cloudflarestorage.com`, region: region ?? 'auto', forcePathStyle: true };
  }
  if (token.startsWith('aws:')) {
    const awsRegion = token.slice(4);
    if (!REGION.test(awsRegion)) return { reason: `"${awsRegion.slice(0, 40)}" is not an AWS region` };
    return { endpoint: `https://s3.${awsRegion}.amazonaws.com`, region: region ?? awsRegion, forcePathStyle: false };
  }
  let url: URL;
  try {
    url = new URL(token);
  } catch {
    return { reason: `"${token.slice(0, 60)}" is not an endpoint (r2:<account>, aws:<region> or an http(s) URL)` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { reason: `endpoint ${url.protocol} is not http(s)` };
  if (url.username || url.password) return { reason: 'the endpoint URL carries credentials' };
  return { endpoint: url.href.replace(/\/$/, ''), region: region ?? 'auto', forcePathStyle: true };
}
