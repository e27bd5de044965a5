import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import S3Error from 's3rver/lib/models/error.js';
import FilesystemStore, { type StoredObject } from 's3rver/lib/stores/filesystem.js';
import { writeFileHashing } from './hashing-file-writer';

/**
 * s3rver's folder store, changed where the round engine depends on it:
 *
 * - An object appears whole or not at all. s3rver writes straight into the
 *   object's file, so a reader polling for a gradient could read half of
 *   one; here it is written beside the buckets and renamed into place.
 * - LastModified is the moment of that rename, to the millisecond. The
 *   deadline rule (main/services/round/inclusion.ts) compares it with the upload
 *   deadline, and s3rver's whole-second HTTP date would let an object that
 *   appeared up to 999 ms late count. HEAD and GET send it as an HTTP date
 *   with a fraction (`Tue, 01 Jul 2025 10:00:00.123 GMT`), which the AWS SDK
 *   reads; listings send ISO 8601 with milliseconds, as S3 does.
 * - No resource path leaves its bucket's folder, whatever key a request or a
 *   DeleteObjects body names.
 */
export class AtomicObjectStore extends FilesystemStore {
  constructor(
    rootDirectory: string,
    private readonly stagingDirectory: string,
  ) {
    super(rootDirectory);
  }

  override getResourcePath(bucket: string, key: string | undefined, resource: string): string {
    const resolved = super.getResourcePath(bucket, key, resource);
    const bucketPath = path.resolve(this.getBucketPath(bucket));
    const relative = path.relative(bucketPath, resolved);
    if (path.dirname(bucketPath) !== path.resolve(this.rootDirectory) || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new S3Error('InvalidArgument', `Object key ${JSON.stringify(String(key).slice(0, 80))} leaves its bucket`);
    }
    return resolved;
  }

  override async getMetadata(bucket: string, key: string): Promise<Record<string, string | number>> {
    const metadata = await super.getMetadata(bucket, key);
    const { mtime } = await fs.stat(this.getResourcePath(bucket, key, 'object'));
    return { ...metadata, 'last-modified': httpDateWithMilliseconds(mtime) };
  }

  override async putObject(object: StoredObject): Promise<{ size: number; md5: string }> {
    const target = this.getResourcePath(object.bucket, object.key, 'object');
    await fs.mkdir(this.stagingDirectory, { recursive: true });
    const staged = path.join(this.stagingDirectory, `object-${crypto.randomUUID()}`);
    try {
      const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
      const { digest, size } = await writeFileHashing(content, staged, 'md5');
      // Metadata first: once the object is in place, a reader finds its ETag too.
      await fs.mkdir(path.dirname(target), { recursive: true });
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      const visibleAt = new Date();
      await fs.utimes(staged, visibleAt, visibleAt);
      await fs.rename(staged, target);
      return { size, md5: digest };
    } catch (error) {
      await fs.rm(staged, { force: true });
      throw error;
    }
  }
}

function httpDateWithMilliseconds(date: Date): string {
  return date.toUTCString().replace(/ GMT$/, `.${String(date.getUTCMilliseconds()).padStart(3, '0')} GMT`);
}
