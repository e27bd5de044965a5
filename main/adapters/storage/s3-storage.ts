import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertValidKey, assertValidPrefix, StorageError, type StorageCallOptions, type StorageGetOptions, type StorageObject, type StoragePort } from '../../ports/storage-port';

export interface S3StorageOptions {
  endpoint: string;
  region?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle?: boolean;
  /** Attempts per call, with the SDK's exponential backoff and jitter between them. */
  maxAttempts?: number;
  /** Objects above this go up as a multipart upload in parts of this size. */
  multipartThresholdBytes?: number;
}

const DEFAULT_PART = 8 * 1024 * 1024;

/**
 * An S3-compatible bucket through the AWS SDK. Retries with backoff come from
 * the SDK's standard retry strategy; large payloads go up in parts, so a
 * dropped connection costs one part, not the whole upload.
 */
/** An AWS SDK client set up the way every Tandem S3 request wants it (any S3-compatible server, R2 included). */
export function createS3Client(options: Omit<S3StorageOptions, 'bucket' | 'multipartThresholdBytes'>): S3Client {
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region ?? 'auto',
    forcePathStyle: options.forcePathStyle ?? true,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    maxAttempts: options.maxAttempts ?? 4,
    // R2 and most S3-compatible servers reject the newer default checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export class S3Storage implements StoragePort {
  readonly name: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.partSize = Math.max(5 * 1024 * 1024, options.multipartThresholdBytes ?? DEFAULT_PART);
    this.name = `s3:${options.bucket}@${new URL(options.endpoint).host}`;
    this.client = createS3Client(options);
  }

  async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    assertValidKey(key);
    await this.call(key, async () => {
      if (data.byteLength <= this.partSize) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentLength: data.byteLength }), { abortSignal: options?.signal });
        return;
      }
      const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: data }, partSize: this.partSize, queueSize: 4, leavePartsOnError: false });
      options?.signal?.addEventListener('abort', () => void upload.abort(), { once: true });
      await upload.done();
    });
  }

  async get(key: string, options?: StorageGetOptions): Promise<Uint8Array | null> {
    assertValidKey(key);
    return this.call(key, async () => {
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: options?.signal });
        const size = response.ContentLength ?? 0;
        if (options?.maxBytes !== undefined && size > options.maxBytes) {
          response.Body?.transformToWebStream().cancel().catch(() => {});
          throw new StorageError('TOO_LARGE', `${key} is ${size} bytes, over the ${options.maxBytes}-byte limit`);
        }
        const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
        if (response.LastModified) options?.onStored?.({ key, size: bytes.byteLength, lastModified: response.LastModified });
        return bytes;
      } catch (error) {
        if (error instanceof NoSuchKey || isNotFound(error)) return null;
        throw error;
      }
    });
  }

  async head(key: string, options?: StorageCallOptions): Promise<StorageObject | null> {
    assertValidKey(key);
    return this.call(key, async () => {
      try {
        const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: options?.signal });
        return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
      } catch (error) {
        if (error instanceof NotFound || isNotFound(error)) return null;
        throw error;
      }
    });
  }

  async list(prefix: string, options?: StorageCallOptions): Promise<StorageObject[]> {
    assertValidPrefix(prefix);
    return this.call(prefix, async () => {
      const objects: StorageObject[] = [];
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: options?.signal });
        for (const item of page.Contents ?? []) {
          if (item.Key) objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return objects;
    });
  }

  async delete(keys: readonly string[], options?: StorageCallOptions): Promise<void> {
    keys.forEach(assertValidKey);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.call(batch[0] ?? '', () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: options?.signal }),
      );
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** Maps transport failures (after the SDK's retries) to one error a caller can act on. */
  private async call<T>(key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (error instanceof Error && error.name === 'AbortError') throw new StorageError('ABORTED', `${this.name}: ${key}: aborted`, { cause: error });
      const reason = error instanceof S3ServiceException ? describeServiceError(error) : error instanceof Error ? error.message : String(error);
      throw new StorageError('UNAVAILABLE', `${this.name}: ${key}: ${reason}`, { cause: error });
    }
  }
}

/**
 * `Code (HTTP status): the server's message`, e.g. `AccessDenied (HTTP 403):
 * Access Denied`. Answers to HEAD have no body, so the SDK cannot name their
 * error: the code then comes from `x-amz-error-code` where the server sends
 * it (s3rver, the devnet's server), and a bare 403 says what it can mean.
 */
function describeServiceError(error: S3ServiceException): string {
  const status = error.$metadata.httpStatusCode;
  const named = !['Unknown', 'UnknownError'].includes(error.name) && !/^\d+$/.test(error.name);
  const headerCode = error.$response?.headers?.['x-amz-error-code'];
  const code = named ? error.name : (headerCode ?? (status === 403 ? 'Forbidden' : 'UnknownError'));
  const head = `${code} (HTTP ${status ?? '?'})`;
  if (named && error.message && error.message !== error.name && error.message !== 'UnknownError') return `${head}: ${error.message}`;
  if (!named && headerCode === undefined && status === 403) return `${head}: the key was refused (unknown, revoked or wrong secret) or may not do this on this bucket`;
  return head;
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey');
}
