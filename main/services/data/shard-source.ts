import { Readable, addAbortSignal } from 'node:stream';
import { GetObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { ShardDownloadError } from './shard-download-error';

/** What a source answered for "the shard from byte `from` on". */
export interface ShardBody {
  /** The first byte the body holds: `from` when the range was honoured, 0 when the source sent everything. */
  start: number;
  /** The object's full size when the source said it, else null. */
  objectBytes: number | null;
  chunks: AsyncIterable<Uint8Array>;
  /** Stops the body without reading it (the source answered something unusable). */
  cancel(): void;
}

/** The source holds fewer than `from` bytes (HTTP 416, S3 InvalidRange): the partial download is not a prefix of it. */
export const RANGE_NOT_SATISFIABLE = 'range-not-satisfiable';

export interface ShardSourceOptions {
  signal?: AbortSignal;
  /** An S3 client for a bucket (endpoint, credentials, region); required for s3:// URLs. */
  openS3?(bucket: string): S3Client;
  maxRedirects?: number;
  fetchImpl?: typeof fetch;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Opens `url` (http(s):// or s3://bucket/key) from byte `from`, asking for a range when `from` > 0. */
export async function openShardBody(url: string, from: number, options: ShardSourceOptions): Promise<ShardBody | typeof RANGE_NOT_SATISFIABLE> {
  if (/^https?:\/\//i.test(url)) return openHttp(url, from, options);
  if (/^s3:\/\//i.test(url)) return openS3Object(url, from, options);
  throw new ShardDownloadError(url, 'bad-url', `${url}: a shard URL must be http://, https:// or s3://bucket/key`);
}

async function openHttp(url: string, from: number, options: ShardSourceOptions): Promise<ShardBody | typeof RANGE_NOT_SATISFIABLE> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const maxRedirects = options.maxRedirects ?? 5;
  // identity: a compressed answer's Content-Length and Content-Range would not count the shard's bytes.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (from > 0) headers.range = `bytes=${from}-`;
  let current = url;
  // Redirects are followed here rather than by fetch so that their number is bounded
  // and the range header goes along to the new location.
  for (let redirects = 0; ; redirects += 1) {
    const response = await fetchImpl(current, { redirect: 'manual', headers, signal: options.signal });
    const where = current === url ? url : `${url} (redirected to ${current})`;
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel().catch(() => {});
      const location = response.headers.get('location');
      if (location === null) throw new ShardDownloadError(url, 'http', `${where}: HTTP ${response.status} redirect without a Location`);
      if (redirects >= maxRedirects) throw new ShardDownloadError(url, 'redirects', `${url} redirects more than ${maxRedirects} times`);
      current = new URL(location, current).toString();
      if (!/^https?:\/\//i.test(current)) throw new ShardDownloadError(url, 'bad-url', `${url} redirects to ${current}, which is not http(s)`);
      continue;
    }
    if (response.status === 416 && from > 0) {
      await response.body?.cancel().catch(() => {});
      return RANGE_NOT_SATISFIABLE;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel().catch(() => {});
      const reason = response.status === 404 || response.status === 410 ? 'not-found' : 'http';
      throw new ShardDownloadError(url, reason, `${where}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const body = response.body;
    const cancel = () => void body?.cancel().catch(() => {});
    // Node's web streams are async iterable; the DOM typings that tests compile with do not say so.
    const chunks = (body ?? emptyBody()) as AsyncIterable<Uint8Array>;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range === null) {
        cancel();
        throw new ShardDownloadError(url, 'http', `${where}: HTTP 206 without a readable Content-Range (${response.headers.get('content-range') ?? 'none'})`);
      }
      return { start: range.start, objectBytes: range.total, chunks, cancel };
    }
    return { start: 0, objectBytes: numberOrNull(response.headers.get('content-length')), chunks, cancel };
  }
}

async function openS3Object(url: string, from: number, options: ShardSourceOptions): Promise<ShardBody | typeof RANGE_NOT_SATISFIABLE> {
  const { bucket, key } = parseS3Url(url);
  if (!options.openS3) throw new ShardDownloadError(url, 'no-s3-client', `${url} is in an S3 bucket, but no S3 client was given to read bucket ${bucket} (openS3)`);
  const client = options.openS3(bucket);
  let answer;
  try {
    answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: from > 0 ? `bytes=${from}-` : undefined }), { abortSignal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const status = (error as S3ServiceException).$metadata?.httpStatusCode;
    const code = (error as Error).name;
    if (from > 0 && (status === 416 || code === 'InvalidRange')) return RANGE_NOT_SATISFIABLE;
    const detail = `${code}${status === undefined ? '' : `, HTTP ${status}`}`;
    if (status === 404 || code === 'NoSuchKey' || code === 'NoSuchBucket') throw new ShardDownloadError(url, 'not-found', `${url}: no such object (${detail})`, { cause: error });
    if (error instanceof S3ServiceException) throw new ShardDownloadError(url, 'http', `${url}: S3 GetObject failed (${detail}): ${error.message}`, { cause: error });
    throw new ShardDownloadError(url, 'network', `${url}: could not reach the bucket (${(error as Error).message})`, { cause: error });
  }
  const body = answer.Body;
  // In Node the SDK's body is a Readable; tie it to the signal so a stalled body ends on abort too.
  const stream = body instanceof Readable ? (options.signal ? addAbortSignal(options.signal, body) : body) : null;
  const chunks: AsyncIterable<Uint8Array> = stream ?? (body ? (body.transformToWebStream() as unknown as AsyncIterable<Uint8Array>) : emptyBody());
  const cancel = () => {
    if (stream) stream.destroy();
    else void body?.transformToWebStream().cancel().catch(() => {});
  };
  if (answer.ContentRange !== undefined) {
    const range = parseContentRange(answer.ContentRange);
    if (range === null) {
      cancel();
      throw new ShardDownloadError(url, 'http', `${url}: S3 answered an unreadable Content-Range (${answer.ContentRange})`);
    }
    return { start: range.start, objectBytes: range.total, chunks, cancel };
  }
  return { start: 0, objectBytes: answer.ContentLength ?? null, chunks, cancel };
}

/** s3://bucket/key, the key percent-decoded (a key may hold characters a URL cannot). */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/i.exec(url);
  if (!match) throw new ShardDownloadError(url, 'bad-url', `${url}: an s3:// shard URL must be s3://bucket/key`);
  let key: string;
  try {
    key = decodeURIComponent(match[2]!);
  } catch {
    throw new ShardDownloadError(url, 'bad-url', `${url}: the key is not valid percent-encoding`);
  }
  return { bucket: match[1]!, key };
}

/** `bytes first-last/total` (total may be `*`). */
function parseContentRange(value: string | null | undefined): { start: number; total: number | null } | null {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), total: match[3] === '*' ? null : Number(match[3]) };
}

function numberOrNull(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
