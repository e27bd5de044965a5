import type { S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import { ShardAssignment } from '../data/shard-assignment';
import { ShardCache, type ShardSetProgress } from '../data/shard-cache';
import { formatBytes } from '../hardware/values';
import type { Logger } from '../../core/logging/logger';
import type { WindowData } from '../round/window-data';
import type { ChainPort } from '../../ports/chain-port';
import type { RunManifest, ShardSpec } from '../../ports/run-manifest';
import { ownerBucketClients, ownerReadAccess } from './owner-bucket';

export interface ListedShardsOptions {
  manifest: RunManifest;
  /** Whose assignment: the peer id the trainer's sampler is seeded with (the uid, for a miner). */
  peerId: string;
  /** The shard cache folder on this machine (`<data>/shards/cache`). */
  cacheDir: string;
  /** Settings → limits → disk space, in bytes; null for no cap. */
  capBytes: number | null;
  openS3?(bucket: string): S3Client;
  fetchImpl?: typeof fetch;
  logger: Logger;
}

/**
 * A run's data when its manifest lists the shards by URL: each window, this
 * peer's assigned shards (recomputable by any validator) are fetched into the
 * shard cache and checked by sha256 before the trainer sees them; the next
 * window's are fetched while this one trains.
 */
export class ListedShards implements WindowData {
  private readonly assignment: ShardAssignment;
  private readonly cache: ShardCache;
  private readonly specs: readonly ShardSpec[];
  private prefetching: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ListedShardsOptions) {
    const shards = options.manifest.data.shards;
    if (typeof shards === 'string') throw new Error('the run names a data folder, not a list of shards');
    this.specs = shards;
    this.assignment = new ShardAssignment({ shards, shardsPerPeer: options.manifest.data.shardsPerPeer });
    this.cache = new ShardCache({
      dir: options.cacheDir,
      capBytes: options.capBytes,
      ...(options.openS3 ? { openS3: options.openS3 } : {}),
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      log: options.logger.child({ source: 'data' }),
    });
  }

  async shardsFor(window: number, onProgress: (note: string) => void, signal?: AbortSignal): Promise<string[]> {
    // A prefetch of these shards may be under way: the cache runs one fetch at a time, so this one waits for it.
    await this.prefetching.catch(() => undefined);
    return this.fetch(this.assignment.assigned(this.options.peerId, window), signal, onProgress);
  }

  /** The shards a validator samples a peer's assigned data from (peer id and window as the peer's sampler got them). */
  shardsOf(peerId: string, window: number, signal?: AbortSignal): Promise<string[]> {
    return this.fetch(this.assignment.assigned(peerId, window), signal);
  }

  /** Every validation shard, for held-out evaluation. */
  validationShards(signal?: AbortSignal): Promise<string[]> {
    return this.fetch(this.assignment.validation(), signal);
  }

  prefetch(window: number): void {
    const indices = this.assignment.assigned(this.options.peerId, window);
    this.prefetching = this.fetch(indices).catch((error: unknown) => this.options.logger.warn({ window, err: error }, 'could not fetch the next window\u2019s shards ahead; tried again when it starts'));
  }

  private fetch(indices: readonly number[], signal?: AbortSignal, onProgress?: (note: string) => void): Promise<string[]> {
    const specs = indices.map((i) => this.specs[i]!);
    return this.cache.ensure(specs, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress: (p: ShardSetProgress) => onProgress(downloadNote(p)) } : {}),
    });
  }
}

/** "Downloading this window's data: 12.0 MiB of 40.0 MiB at 5.1 MiB/s, about 6 s left (shard 1 of 2)." */
export function downloadNote(p: ShardSetProgress): string {
  const rate = p.bytesPerSecond > 0 ? ` at ${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds === null ? '' : `, about ${formatDuration(p.etaSeconds)} left`;
  return `Downloading this window's data: ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}${rate}${eta} (shard ${Math.min(p.shardsDone + 1, p.shardsTotal)} of ${p.shardsTotal}).`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Where a run's shard cache lives under the data folder. */
export function shardCacheDir(dataDir: string): string {
  return path.join(dataDir, 'shards', 'cache');
}

/**
 * S3 clients for the run's `s3://` shard URLs, which name its owner's bucket
 * (read with the key the owner committed on chain); undefined when the run
 * lists none. Throws when they cannot be read: an unsigned run has no owner.
 */
export async function runBucketClients(manifest: RunManifest, owner: string | null, chain: Pick<ChainPort, 'commitments'>): Promise<((bucket: string) => S3Client) | undefined> {
  const shards = manifest.data.shards;
  const urls = [...(typeof shards === 'string' ? [] : shards.map((s) => s.url)), ...(manifest.checkpoints.initial ? [manifest.checkpoints.initial.url] : [])];
  if (!urls.some((url) => url.startsWith('s3://'))) return undefined;
  if (!owner) throw new Error('its data is in an S3 bucket, which is the run owner\u2019s: the manifest must be signed by its owner');
  return ownerBucketClients(await ownerReadAccess(chain, manifest.chain.netuid, owner));
}
