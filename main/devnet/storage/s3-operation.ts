import type { IncomingHttpHeaders } from 'node:http';
import type { BucketAccess, IssuedKey } from './access-key-book';
import { S3Failure } from './s3-failure';

/** One S3 call, named as in the S3 API, with the access it needs; `null`: no key of this server may make it. */
export interface S3Operation {
  name: string;
  bucket: string | null;
  key: string | null;
  needs: BucketAccess | null;
}

// `x-id` is the operation name the AWS SDK adds to every query; it changes nothing.
const NEUTRAL = new Set(['x-id']);
const LISTING = new Set(['list-type', 'prefix', 'delimiter', 'marker', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner']);
// The ids s3rver hands out (16 random bytes, hex); anything else could name a folder outside the upload area.
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * Names the call a path-style request makes (`/bucket/key?subresource`) and
 * the access it needs. Only what a peer's storage needs is allowed: objects
 * and listings of a bucket, multipart uploads, deletes. Everything else
 * (ListBuckets, CreateBucket, policies, ACLs, CopyObject from elsewhere…) is
 * named so the refusal says what was refused.
 */
export function classifyRequest(method: string, rawPath: string, query: Record<string, string | string[]>, headers: IncomingHttpHeaders): S3Operation {
  // Split before decoding: an encoded slash in the bucket segment stays in the bucket's name (and matches no bucket).
  const [bucket = '', ...keyParts] = rawPath.slice(1).split('/').map(decodeSegment);
  const key = keyParts.length > 0 ? keyParts.join('/') : null;
  const params = Object.keys(query).filter((name) => !NEUTRAL.has(name));
  const only = (...allowed: string[]) => params.every((name) => allowed.includes(name)) && allowed.every((name) => params.includes(name));
  const deny = (name: string): S3Operation => ({ name, bucket: bucket || null, key, needs: null });
  if (bucket === '') return deny(method === 'GET' ? 'ListBuckets' : `${method} /`);
  if (key === null || key === '') {
    if (method === 'GET' && params.every((name) => LISTING.has(name))) return { name: query['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects', bucket, key: null, needs: 'read' };
    if (method === 'HEAD' && only()) return { name: 'HeadBucket', bucket, key: null, needs: 'read' };
    if (method === 'POST' && only('delete')) return { name: 'DeleteObjects', bucket, key: null, needs: 'write' };
    const sub = params[0];
    return deny(sub ? `${method} bucket ?${sub}` : method === 'PUT' ? 'CreateBucket' : method === 'DELETE' ? 'DeleteBucket' : `${method} bucket`);
  }
  assertStorableKey(key);
  if ('uploadId' in query) assertUploadId(query.uploadId);
  if ('partNumber' in query) assertPartNumber(query.partNumber);
  if (headers['x-amz-copy-source'] !== undefined) return deny(method === 'PUT' && only('partNumber', 'uploadId') ? 'UploadPartCopy' : 'CopyObject');
  const object = (name: string, needs: BucketAccess): S3Operation => ({ name, bucket, key, needs });
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (only() || only('partNumber')) return object(method === 'GET' ? 'GetObject' : 'HeadObject', 'read');
      if (method === 'GET' && only('uploadId')) return object('ListParts', 'write');
      break;
    case 'PUT':
      if (only()) return object('PutObject', 'write');
      if (only('partNumber', 'uploadId')) return object('UploadPart', 'write');
      break;
    case 'POST':
      if (only('uploads')) return object('CreateMultipartUpload', 'write');
      if (only('uploadId')) return object('CompleteMultipartUpload', 'write');
      break;
    case 'DELETE':
      if (only()) return object('DeleteObject', 'write');
      if (only('uploadId')) return object('AbortMultipartUpload', 'write');
      break;
  }
  return deny(params[0] ? `${method} object ?${params[0]}` : `${method} object`);
}

/** Refuses with AccessDenied unless `grant` covers `operation`: its own bucket, and write for anything but reads. */
export function authorize(grant: IssuedKey, operation: S3Operation): void {
  const where = operation.bucket ? ` on bucket ${operation.bucket}` : '';
  if (operation.needs === null) throw new S3Failure('AccessDenied', `Access Denied: ${operation.name}${where} is not allowed on this server`);
  if (operation.bucket !== grant.bucket) throw new S3Failure('AccessDenied', `Access Denied: key ${grant.accessKeyId} has no access to bucket ${operation.bucket}`);
  if (operation.needs === 'write' && grant.access !== 'write') throw new S3Failure('AccessDenied', `Access Denied: key ${grant.accessKeyId} may only read bucket ${grant.bucket}; ${operation.name} needs a write key`);
}

/**
 * The storage behind this server keeps objects as files, so a key must not
 * step out of its folder (`.` and `..` segments) or into the store's own
 * files (`._S3rver_`). Real S3 takes such keys; Tandem never makes them.
 */
function assertStorableKey(key: string): void {
  const segments = key.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..') || key.includes('._S3rver_') || key.includes('\0') || Buffer.byteLength(key) > 1024) {
    throw new S3Failure('InvalidArgument', `Object key ${JSON.stringify(key.slice(0, 80))} is not supported here: no "." or ".." segments, NUL or "._S3rver_", at most 1024 bytes`);
  }
}

function assertUploadId(value: string | string[] | undefined): void {
  if (typeof value !== 'string' || !UPLOAD_ID.test(value)) throw new S3Failure('InvalidArgument', 'uploadId is not one this server handed out');
}

function assertPartNumber(value: string | string[] | undefined): void {
  if (typeof value !== 'string' || !/^[1-9]\d{0,4}$/.test(value) || Number(value) > 10_000) throw new S3Failure('InvalidArgument', 'partNumber must be a whole number from 1 to 10000');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Failure('InvalidArgument', 'The request path is not valid percent-encoding');
  }
}
