import { S3ServiceException } from '@aws-sdk/client-s3';
import { StorageError } from '../../ports/storage-port';
import type { StorageLocation } from '../../ports/storage-credentials';

export type StorageFailureKind = 'denied' | 'no-bucket' | 'wrong-region' | 'dns' | 'unreachable' | 'tls' | 'timeout' | 'other';

export interface StorageFailure {
  kind: StorageFailureKind;
  /** One sentence a user can act on; never contains a secret. */
  message: string;
}

export interface FailureContext {
  /** Which key pair made the call. */
  key: 'write' | 'read';
  accessKeyId: string;
  location: StorageLocation;
  timeoutMs: number;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL']);
const TIMEOUT = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'TimeoutError', 'RequestTimeout', 'AbortError']);
const TLS = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|EPROTO$|HOSTNAME_MISMATCH)/;
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden', 'Unauthorized', 'InvalidToken', 'ExpiredToken', 'AccountProblem']);
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/**
 * Names a failed storage call in words a user can act on: a refused key (403),
 * a missing bucket, the wrong region, DNS, an unreachable host, TLS, a
 * timeout. The SDK's own text is kept only where nothing better is known.
 */
export function describeStorageFailure(error: unknown, context: FailureContext): StorageFailure {
  const root = unwrap(error);
  const host = new URL(context.location.endpoint).host;
  const hostname = new URL(context.location.endpoint).hostname;
  const bucket = `"${context.location.bucket}"`;
  const keyName = `the ${context.key} key ${context.accessKeyId}`;
  const rights = context.key === 'write' ? 'read and write' : 'read';

  if (error instanceof StorageError && error.code === 'ABORTED') return timeout();
  const code = systemCode(root);
  if (code && DNS.has(code)) return { kind: 'dns', message: `Cannot find ${hostname} (DNS ${code}). Check the endpoint (the account id, region or URL) and this machine's internet connection.` };
  if (code && TLS.test(code)) return { kind: 'tls', message: `The secure connection to ${host} failed (TLS ${code}): its certificate is not trusted or does not match. Check the URL (https:// or http://) and this machine's clock.` };
  if (code && UNREACHABLE.has(code)) return { kind: 'unreachable', message: `Cannot reach ${host} (${code}). Check the endpoint URL and port, and that no firewall or proxy blocks it.` };
  if (code && TIMEOUT.has(code)) return timeout();
  if (root instanceof S3ServiceException || isServiceError(root)) {
    const name = (root as { name: string }).name;
    const status = (root as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'InvalidAccessKeyId') return { kind: 'denied', message: `Refused (HTTP 403 InvalidAccessKeyId): ${host} does not know ${keyName}. Check the key id, or create a new key if it was deleted.` };
    if (name === 'SignatureDoesNotMatch') return { kind: 'denied', message: `Refused (HTTP 403 SignatureDoesNotMatch): the secret does not belong to ${keyName}. Paste the secret access key again.` };
    if (name === 'ExpiredToken' || name === 'InvalidToken') return { kind: 'denied', message: `Refused (HTTP ${status ?? 403} ${name}): ${keyName} has expired or was revoked. Create a new key.` };
    if (DENIED.has(name) || status === 403 || status === 401) {
      return { kind: 'denied', message: `Refused (HTTP ${status ?? 403} ${name}): ${keyName} may not do this in bucket ${bucket}. Check that it is not revoked or expired and that it has ${rights} access to this bucket.` };
    }
    if (name === 'NoSuchBucket') return { kind: 'no-bucket', message: `There is no bucket ${bucket} at ${host} (NoSuchBucket). Check the name and the account or region, or create the bucket first.` };
    if (WRONG_REGION.has(name) || status === 301) return { kind: 'wrong-region', message: `The bucket ${bucket} answers from another region than ${context.location.region} (${name}). Choose the bucket's own region.` };
    if (TIMEOUT.has(name)) return timeout();
    return { kind: 'other', message: `${host} answered HTTP ${status ?? '?'} ${name}${(root as Error).message && (root as Error).message !== name ? `: ${(root as Error).message}` : ''}` };
  }
  if (root instanceof Error && TIMEOUT.has(root.name)) return timeout();
  const text = root instanceof Error ? root.message : String(root);
  return { kind: 'other', message: `${host}: ${text}` };

  function timeout(): StorageFailure {
    return { kind: 'timeout', message: `No answer from ${host} within ${context.timeoutMs >= 1000 ? `${Math.round(context.timeoutMs / 1000)} s` : `${context.timeoutMs} ms`}. The server is slow or unreachable: check the endpoint and your connection.` };
  }
}

/** The SDK's and our own wrappers around the error that says what went wrong. */
function unwrap(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof StorageError && current.cause !== undefined) current = current.cause;
    else if (!(current instanceof S3ServiceException) && current instanceof Error && !systemCode(current) && current.cause instanceof Error) current = current.cause;
    else break;
  }
  return current;
}

function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error && typeof (error as { name?: unknown }).name === 'string' && (error as { $fault?: unknown }).$fault !== undefined;
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
