import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ShardDownloadError } from './shard-download-error';

/**
 * A download in progress, `<dest>.part`: appended to, hashed as it grows, and
 * renamed over the destination only once whole and synced to disk. Opening an
 * existing one hashes what it already holds, so a resumed download is checked
 * over every byte, not only those fetched this time.
 */
export class PartFile {
  private constructor(
    readonly file: string,
    private readonly url: string,
    private handle: FileHandle,
    private hash: Hash,
    private bytes: number,
  ) {}

  /** Opens `file` for appending, hashing the bytes a previous attempt left in it. */
  static async open(file: string, url: string): Promise<PartFile> {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const handle = await fs.open(file, 'a');
    return new PartFile(file, url, handle, hash, bytes);
  }

  /** Bytes held so far. */
  get size(): number {
    return this.bytes;
  }

  async append(chunk: Uint8Array): Promise<void> {
    await this.diskWrite(async () => {
      let offset = 0;
      // A write may take part of the chunk; count and hash only what reached the file.
      while (offset < chunk.length) {
        const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
        this.hash.update(chunk.subarray(offset, offset + bytesWritten));
        offset += bytesWritten;
        this.bytes += bytesWritten;
      }
    });
  }

  /** Empties the file and the hash: the source sent its bytes from the start. */
  async truncate(): Promise<void> {
    await this.handle.truncate(0);
    this.hash = createHash('sha256');
    this.bytes = 0;
  }

  /** SHA-256 of everything held, lowercase hex. Once: the hash is spent after. */
  digest(): string {
    return this.hash.digest('hex');
  }

  /** fsync, then rename over `dest` and sync the folder, so a crash leaves either no shard or the whole one. */
  async commit(dest: string): Promise<void> {
    await this.diskWrite(() => this.handle.sync());
    await this.handle.close();
    await fs.rename(this.file, dest);
    await syncFolder(path.dirname(dest));
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }

  /** Closes and deletes: its bytes are not the shard. */
  async discard(): Promise<void> {
    await this.close();
    await fs.rm(this.file, { force: true });
  }

  private async diskWrite(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        const folder = path.dirname(this.file);
        throw new ShardDownloadError(
          this.url,
          'disk-full',
          `the disk is full: no room left in ${folder} for ${this.url} (${this.bytes} bytes kept in ${path.basename(this.file)}; the download resumes from there once space is freed)`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Makes a rename durable. Not every platform can open a folder for syncing (Windows); there the rename stands as is. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close().catch(() => {});
  }
}
