import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../core/logging/logger';
import type { ShardSpec } from '../../ports/run-manifest';
import { downloadShard, ShardDownloadError, type ShardDownloadProgress } from './shard-download';
import { shardFileName } from './shard-file-name';
import { ShardIndex } from './shard-index';
import { TransferMeter } from './transfer-meter';

export interface ShardCacheOptions {
  dir: string;
  /** Most bytes the cache may hold (shards and partial downloads); null: no limit. */
  capBytes: number | null;
  openS3?(bucket: string): S3Client;
  fetchImpl?: typeof fetch;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** The clock that stamps last use (tests give one that never repeats a millisecond). */
  now?: () => number;
}

export interface ShardSetProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** The shard downloading now; null while none is. */
  currentUrl: string | null;
  shardsDone: number;
  shardsTotal: number;
}

export interface EnsureOptions {
  signal?: AbortSignal;
  onProgress?(progress: ShardSetProgress): void;
}

/** A shard whose bytes twice failed to match the manifest: training on it would train on something else. */
export class ShardUnavailableError extends Error {
  constructor(
    readonly url: string,
    cause: ShardDownloadError,
  ) {
    super(`training is blocked because shard ${url} never verified (downloaded twice; the second time: ${cause.message})`, { cause });
    this.name = 'ShardUnavailableError';
  }
}

/** The shards one call needs do not fit under the cap, whatever is evicted. */
export class ShardCacheCapError extends Error {
  constructor(
    readonly capBytes: number,
    readonly neededBytes: number,
    shards: number,
  ) {
    super(`the shard cache's cap allows ${formatBytes(capBytes)}, but the ${shards} shards needed now take ${formatBytes(neededBytes)}; raise the cap to at least that`);
    this.name = 'ShardCacheCapError';
  }
}

/** A shard file (`<sha256>.bin|npy`) or its partial download. */
const CACHE_FILE = /^([0-9a-f]{64}\.(?:bin|npy))(\.part)?$/;

/**
 * The shards on this machine, one file each, named by content
 * (`<sha256>.<bin|npy>`). `ensure` makes a set of shards present and
 * verified, downloading what is missing or corrupt, and evicts the least
 * recently used others to stay under the cap. Calls run one after another, so
 * two never download the same shard into the same file.
 */
export class ShardCache {
  private readonly dir: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: ShardCacheOptions) {
    this.dir = options.dir;
    this.now = options.now ?? Date.now;
    if (options.capBytes !== null && !(Number.isFinite(options.capBytes) && options.capBytes >= 0)) {
      throw new Error(`the shard cache's capBytes must be a number of bytes ≥ 0 or null, not ${options.capBytes}`);
    }
  }

  /** Where `spec` lives in the cache (present or not). */
  pathFor(spec: Pick<ShardSpec, 'url' | 'sha256'>): string {
    return path.join(this.dir, shardFileName(spec));
  }

  /** Makes every shard present and verified; resolves to their paths, in the order given. */
  ensure(specs: readonly ShardSpec[], options: EnsureOptions = {}): Promise<string[]> {
    const run = this.queue.then(() => this.ensureNow(specs, options));
    this.queue = run.catch(() => {});
    return run;
  }

  /** What the cache holds: `bytes` counts shards and partial downloads, `files` the whole shards. */
  usage(): { bytes: number; files: number } {
    let bytes = 0;
    let files = 0;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: 0, files: 0 };
      throw error;
    }
    for (const name of names) {
      const match = CACHE_FILE.exec(name);
      if (!match) continue;
      const stat = statSync(path.join(this.dir, name), { throwIfNoEntry: false });
      if (!stat?.isFile()) continue;
      bytes += stat.size;
      if (match[2] === undefined) files += 1;
    }
    return { bytes, files };
  }

  private async ensureNow(specs: readonly ShardSpec[], options: EnsureOptions): Promise<string[]> {
    // One shard listed twice is one file.
    const unique = [...new Map(specs.map((s) => [shardFileName(s), s])).values()];
    const neededBytes = unique.reduce((n, s) => n + s.bytes, 0);
    const cap = this.options.capBytes;
    if (cap !== null && neededBytes > cap) throw new ShardCacheCapError(cap, neededBytes, unique.length);
    await fs.mkdir(this.dir, { recursive: true });
    const index = await ShardIndex.load(this.dir, (reason) => this.options.log?.warn({ dir: this.dir }, `${reason}; the shards in the cache are hashed again`));

    const now = this.now();
    const missing: ShardSpec[] = [];
    for (const spec of unique) {
      options.signal?.throwIfAborted();
      if (!(await this.verifiedOnDisk(spec, index))) missing.push(spec);
      index.touch(shardFileName(spec), now);
    }
    if (cap !== null) await this.evictFor(new Set(unique.map(shardFileName)), neededBytes, cap, index);
    await index.save();

    const progress = new SetProgress(unique, missing, options.onProgress);
    for (const spec of missing) {
      await this.downloadVerified(spec, index, options.signal, progress);
      progress.shardDone(spec);
    }
    return specs.map((s) => this.pathFor(s));
  }

  /**
   * True when the shard's file is there and is the shard: trusted as is when
   * the index recorded it verified at this size and mtime, else hashed. A file
   * that is not the shard is deleted.
   */
  private async verifiedOnDisk(spec: ShardSpec, index: ShardIndex): Promise<boolean> {
    const name = shardFileName(spec);
    const file = path.join(this.dir, name);
    const stat = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (stat === null) {
      index.delete(name);
      return false;
    }
    const known = index.get(name);
    if (known && known.sha256 === spec.sha256 && known.bytes === stat.size && known.mtimeMs === stat.mtimeMs && stat.size === spec.bytes) return true;
    const sha256 = stat.size === spec.bytes ? await hashFile(file) : null;
    if (sha256 === spec.sha256) {
      index.set(name, { bytes: stat.size, mtimeMs: stat.mtimeMs, sha256, lastUsedMs: known?.lastUsedMs ?? this.now() });
      return true;
    }
    this.options.log?.warn(
      { file, url: spec.url, bytes: stat.size, expectedBytes: spec.bytes, sha256, expectedSha256: spec.sha256 },
      'a cached shard is not the shard it is named after; deleted, downloading it again',
    );
    await fs.rm(file, { force: true });
    index.delete(name);
    return false;
  }

  /** Downloads a shard, and once more if its bytes fail verification; twice is a shard nobody can train on. */
  private async downloadVerified(spec: ShardSpec, index: ShardIndex, signal: AbortSignal | undefined, progress: SetProgress): Promise<void> {
    const name = shardFileName(spec);
    const file = path.join(this.dir, name);
    for (let attempt = 1; ; attempt += 1) {
      progress.shardStarted(spec);
      try {
        await downloadShard(spec, file, {
          signal,
          openS3: this.options.openS3,
          fetchImpl: this.options.fetchImpl,
          onProgress: (p) => progress.shardProgress(p),
        });
        break;
      } catch (error) {
        if (!(error instanceof ShardDownloadError && error.failedVerification)) throw error;
        if (attempt >= 2) throw new ShardUnavailableError(spec.url, error);
        this.options.log?.warn({ url: spec.url, err: error }, 'a downloaded shard failed verification; downloading it once more');
      }
    }
    const stat = await fs.stat(file);
    index.set(name, { bytes: stat.size, mtimeMs: stat.mtimeMs, sha256: spec.sha256, lastUsedMs: this.now() });
    // Saved at once: a verified shard is not hashed again after a crash later in the set.
    await index.save();
  }

  /**
   * Deletes the least recently used files not in `keep` until they and the
   * shards being ensured (`neededBytes`, counted whole) fit under `cap`.
   */
  private async evictFor(keep: Set<string>, neededBytes: number, cap: number, index: ShardIndex): Promise<void> {
    const others: { file: string; name: string; partial: boolean; bytes: number; lastUsedMs: number }[] = [];
    for (const entry of await fs.readdir(this.dir)) {
      const match = CACHE_FILE.exec(entry);
      if (!match || keep.has(match[1]!)) continue;
      const file = path.join(this.dir, entry);
      const stat = await fs.stat(file).catch(() => null);
      if (!stat?.isFile()) continue;
      // A partial download was last used when it was last written.
      const partial = match[2] !== undefined;
      const lastUsedMs = (partial ? undefined : index.get(match[1]!)?.lastUsedMs) ?? stat.mtimeMs;
      others.push({ file, name: match[1]!, partial, bytes: stat.size, lastUsedMs });
    }
    let total = neededBytes + others.reduce((n, o) => n + o.bytes, 0);
    others.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const victim of others) {
      if (total <= cap) break;
      await fs.rm(victim.file, { force: true });
      if (!victim.partial) index.delete(victim.name);
      total -= victim.bytes;
      this.options.log?.info({ file: victim.file, bytes: victim.bytes }, 'evicted the least recently used shard to stay under the cache cap');
    }
  }
}

/** Progress of a whole `ensure`, from the per-shard reports of its downloads. */
class SetProgress {
  private readonly meter = new TransferMeter(0);
  private readonly bytesTotal: number;
  private readonly shardsTotal: number;
  private doneBytes: number;
  private shardsDone: number;
  private currentUrl: string | null = null;
  private currentBytes = 0;
  /** The current download's bytes at its last report (null before its first one, which may be resumed bytes). */
  private lastReported: number | null = null;

  constructor(
    all: readonly ShardSpec[],
    missing: readonly ShardSpec[],
    private readonly listener: ((p: ShardSetProgress) => void) | undefined,
  ) {
    this.bytesTotal = all.reduce((n, s) => n + s.bytes, 0);
    this.shardsTotal = all.length;
    this.doneBytes = this.bytesTotal - missing.reduce((n, s) => n + s.bytes, 0);
    this.shardsDone = all.length - missing.length;
    this.emit();
  }

  shardStarted(spec: ShardSpec): void {
    this.currentUrl = spec.url;
    this.currentBytes = 0;
    this.lastReported = null;
  }

  shardProgress(p: ShardDownloadProgress): void {
    if (this.lastReported !== null) this.meter.add(Math.max(0, p.bytesDone - this.lastReported));
    this.lastReported = p.bytesDone;
    this.currentBytes = p.bytesDone;
    this.emit();
  }

  shardDone(spec: ShardSpec): void {
    this.doneBytes += spec.bytes;
    this.shardsDone += 1;
    this.currentUrl = null;
    this.currentBytes = 0;
    this.emit();
  }

  private emit(): void {
    if (!this.listener) return;
    const bytesDone = this.doneBytes + this.currentBytes;
    this.listener({
      bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond: this.meter.bytesPerSecond,
      etaSeconds: this.meter.etaSeconds(this.bytesTotal - bytesDone),
      currentUrl: this.currentUrl,
      shardsDone: this.shardsDone,
      shardsTotal: this.shardsTotal,
    });
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(2)} ${units[unit]} (${bytes} bytes)`;
}
