import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../platform/atomic-file';
import { assertValidKey, assertValidPrefix, isValidKey, StorageError, type StorageCallOptions, type StorageGetOptions, type StorageObject, type StoragePort } from '../../ports/storage-port';

/**
 * A folder as a bucket: the devnet's storage. Writes are atomic, so a reader
 * never sees half an object, exactly like S3.
 */
export class FilesystemStorage implements StoragePort {
  readonly name: string;

  constructor(private readonly root: string) {
    this.name = `fs:${root}`;
  }

  private file(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    checkAborted(options);
    const file = this.file(key);
    // Stage outside the key space, then rename into place: listings never show
    // temp files, and readers see the whole object or none of it.
    const staging = path.join(this.root, '.staging');
    await fs.mkdir(staging, { recursive: true });
    await fs.mkdir(path.dirname(file), { recursive: true });
    const staged = path.join(staging, crypto.randomUUID());
    await writeFileAtomically(staged, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    await fs.rename(staged, file);
  }

  async get(key: string, options?: StorageGetOptions): Promise<Uint8Array | null> {
    checkAborted(options);
    // One open file: its size, date and bytes are the same object's, even if a put renames another into place meanwhile.
    const handle = await fs.open(this.file(key), 'r').catch(() => null);
    if (!handle) return null;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return null;
      if (options?.maxBytes !== undefined && stat.size > options.maxBytes) {
        throw new StorageError('TOO_LARGE', `${key} is ${stat.size} bytes, over the ${options.maxBytes}-byte limit`);
      }
      const bytes = new Uint8Array(await handle.readFile());
      options?.onStored?.({ key, size: bytes.byteLength, lastModified: stat.mtime });
      return bytes;
    } finally {
      await handle.close();
    }
  }

  async head(key: string, options?: StorageCallOptions): Promise<StorageObject | null> {
    checkAborted(options);
    const stat = await fs.stat(this.file(key)).catch(() => null);
    return stat?.isFile() ? { key, size: stat.size, lastModified: stat.mtime } : null;
  }

  async list(prefix: string, options?: StorageCallOptions): Promise<StorageObject[]> {
    checkAborted(options);
    assertValidPrefix(prefix);
    const entries = await fs.readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    const objects: StorageObject[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const key = path.relative(this.root, full).split(path.sep).join('/');
      if (!isValidKey(key) || !key.startsWith(prefix)) continue;
      const stat = await fs.stat(full).catch(() => null);
      if (stat) objects.push({ key, size: stat.size, lastModified: stat.mtime });
    }
    return objects.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(keys: readonly string[], options?: StorageCallOptions): Promise<void> {
    checkAborted(options);
    await Promise.all(keys.map((key) => fs.rm(this.file(key), { force: true })));
  }
}

function checkAborted(options?: StorageCallOptions): void {
  if (options?.signal?.aborted) throw new StorageError('ABORTED', 'storage call aborted');
}
