import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createScope, getCanonicalHeaders, getCanonicalQuery, getSigningKey, UNSIGNED_PAYLOAD } from '@smithy/signature-v4';
import { S3Failure } from './s3-failure';

/** What the verifier reads from a request, exactly as it came over the wire. */
export interface SignedRequest {
  method: string;
  /** The path still percent-encoded: S3's canonical URI is the path as the client sent it. */
  rawPath: string;
  /** Query parameters, decoded; a parameter without `=` has the value ''. */
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
}

export interface VerifiedSignature {
  accessKeyId: string;
  /** The body's SHA-256 the client signed (hex), or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

/** S3's limit on the distance between the request's clock and the server's. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** The query parameters of a presigned URL's signature itself (everything but X-Amz-Signature is also signed). */
export const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'];

interface Claim {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
}

/**
 * Checks an AWS Signature Version 4 (Authorization header, or a presigned
 * URL's query) by computing it again from the request's method, path, query,
 * the headers it names as signed and the payload hash it claims, with the
 * secret of the key it names; the two are compared in constant time. The
 * claimed payload hash is returned: the caller checks it against the body.
 */
export async function verifySignature(request: SignedRequest, secretOf: (accessKeyId: string) => string | undefined, now = Date.now()): Promise<VerifiedSignature> {
  const hasHeader = typeof request.headers.authorization === 'string';
  const hasQuery = 'X-Amz-Algorithm' in request.query;
  if (hasHeader && hasQuery) throw new S3Failure('InvalidArgument', 'Only one auth mechanism allowed: the Authorization header or the X-Amz-Algorithm query parameter');
  if (!hasHeader && !hasQuery) throw new S3Failure('AccessDenied', 'Access Denied: this server takes only requests signed with AWS Signature Version 4');
  const claim = hasHeader ? headerClaim(request, now) : queryClaim(request, now);

  const secretAccessKey = secretOf(claim.accessKeyId);
  if (secretAccessKey === undefined) throw new S3Failure('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

  const unsigned = [...Object.keys(request.headers).filter((name) => name.startsWith('x-amz-')), 'host'].filter((name) => !claim.signedHeaders.includes(name));
  if (unsigned.length > 0) throw new S3Failure('AccessDenied', `There were headers present in the request which were not signed: ${unsigned.join(', ')}`);

  const signed = Object.fromEntries(claim.signedHeaders.map((name) => [name, headerValue(request.headers[name])]));
  const canonicalHeaders = getCanonicalHeaders({ headers: signed } as never, undefined, new Set(claim.signedHeaders));
  const query = { ...request.query };
  delete query['X-Amz-Signature'];
  const canonicalRequest = [
    request.method,
    request.rawPath,
    getCanonicalQuery({ query } as never),
    ...claim.signedHeaders.map((name) => `${name}:${canonicalHeaders[name] ?? ''}`),
    '',
    claim.signedHeaders.join(';'),
    claim.payloadHash,
  ].join('\n');
  const scope = createScope(claim.shortDate, claim.region, claim.service);
  const stringToSign = [ALGORITHM, claim.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = await getSigningKey(NodeSha256, { accessKeyId: claim.accessKeyId, secretAccessKey }, claim.shortDate, claim.region, claim.service);
  const expected = crypto.createHmac('sha256', signingKey).update(stringToSign).digest();
  const provided = Buffer.from(claim.signature, 'hex');
  if (provided.length !== expected.length || !crypto.timingSafeEqual(provided, expected)) {
    throw new S3Failure('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return { accessKeyId: claim.accessKeyId, payloadHash: claim.payloadHash };
}

function headerClaim(request: SignedRequest, now: number): Claim {
  const authorization = request.headers.authorization!;
  const [algorithm, ...rest] = authorization.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) throw new S3Failure('InvalidArgument', `Unsupported Authorization Type: only ${ALGORITHM} (Signature Version 4) is accepted`);
  const fields = new Map(
    rest
      .join('')
      .split(',')
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at), part.slice(at + 1)] as const;
      }),
  );
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw new S3Failure('AuthorizationHeaderMalformed', 'The authorization header is malformed; it requires three components: Credential, SignedHeaders, and Signature.');
  }
  const amzDate = headerValue(request.headers['x-amz-date']);
  const at = parseAmzDate(amzDate);
  if (at === null) throw new S3Failure('AccessDenied', 'AWS authentication requires a valid x-amz-date header (yyyyMMddTHHmmssZ)');
  if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) throw new S3Failure('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const payloadHash = headerValue(request.headers['x-amz-content-sha256']);
  if (!payloadHash) throw new S3Failure('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (payloadHash.startsWith('STREAMING-')) throw new S3Failure('NotImplemented', `x-amz-content-sha256 ${payloadHash} (aws-chunked uploads) is not supported here; send the body's SHA-256 or UNSIGNED-PAYLOAD`);
  if (payloadHash !== UNSIGNED_PAYLOAD && !HEX_SHA256.test(payloadHash)) throw new S3Failure('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 in lower-case hex');
  return { ...parseCredential(credential, amzDate, 'AuthorizationHeaderMalformed'), amzDate, signedHeaders: signedHeaders.split(';'), signature, payloadHash };
}

function queryClaim(request: SignedRequest, now: number): Claim {
  const param = (name: string): string | undefined => {
    const value = request.query[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (param('X-Amz-Algorithm') !== ALGORITHM) throw new S3Failure('AuthorizationQueryParametersError', `X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const [credential, amzDate, expiresText, signedHeaders, signature] = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].map(param);
  if (!credential || !amzDate || !expiresText || !signedHeaders || !signature) {
    throw new S3Failure('AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  const at = parseAmzDate(amzDate);
  if (at === null) throw new S3Failure('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const expires = /^\d+$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGNED_SECONDS)) throw new S3Failure('AuthorizationQueryParametersError', 'X-Amz-Expires must be a whole number of seconds from 1 to 604800');
  if (at - now > MAX_CLOCK_SKEW_MS) throw new S3Failure('AccessDenied', 'Request is not valid yet');
  if (now > at + expires * 1000) throw new S3Failure('AccessDenied', 'Request has expired');
  // A presigned URL cannot sign a body it has not seen: S3 takes it unsigned, as the SDK's presigner says.
  const payloadHash = param('X-Amz-Content-Sha256') ?? param('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  return { ...parseCredential(credential, amzDate, 'AuthorizationQueryParametersError'), amzDate, signedHeaders: signedHeaders.split(';'), signature, payloadHash };
}

/** `AKID/yyyyMMdd/region/service/aws4_request`, whose date must be the request's. */
function parseCredential(credential: string, amzDate: string, code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): Pick<Claim, 'accessKeyId' | 'shortDate' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((part) => part === '')) {
    throw new S3Failure(code, 'The Credential is malformed; expected "<access key id>/<yyyyMMdd>/<region>/s3/aws4_request"');
  }
  const [accessKeyId, shortDate, region, service] = parts as [string, string, string, string];
  if (service !== 's3') throw new S3Failure(code, `The Credential names the service ${JSON.stringify(service)}; this server is s3`);
  if (shortDate !== amzDate.slice(0, 8)) throw new S3Failure(code, `The Credential's date ${shortDate} is not the request's date ${amzDate.slice(0, 8)}`);
  return { accessKeyId, shortDate, region, service };
}

/** Epoch ms of an ISO 8601 basic timestamp (20240131T235959Z), or null. */
function parseAmzDate(value: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = Date.UTC(year, month - 1, day, hour, minute, second);
  return Number.isNaN(at) ? null : at;
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** Node's SHA-256 in the shape smithy's key derivation takes (a hash, or an HMAC when given a secret). */
export class NodeSha256 {
  private hash: crypto.Hash | crypto.Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = NodeSha256.create(secret);
  }

  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = NodeSha256.create(this.secret);
  }

  private static create(secret?: string | ArrayBuffer | ArrayBufferView): crypto.Hash | crypto.Hmac {
    if (secret === undefined) return crypto.createHash('sha256');
    const key = typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    return crypto.createHmac('sha256', key);
  }
}
