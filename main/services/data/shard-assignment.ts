import type { ShardSpec } from '../../ports/run-manifest';
import { fnv1a64, splitmix64At } from './batch-sampler';
import { shardFileName } from './shard-file-name';

/**
 * Which of a run's listed shards a peer trains on in a window
 * (docs/PROTOCOL.md, "Data shards: assignment and download"). The rule uses
 * only the manifest, the peer id and the window, so a validator recomputes any
 * peer's shards, and through them its batches (the sampler indexes the shards
 * of the peer's data folder in file-name order).
 */

/** The domain of the assignment's seed; a new rule gets a new version so old and new never agree by chance. */
export const SHARD_ASSIGNMENT_DOMAIN = 'tandem-shards-v1';

/** The part of a run's data section this rule reads (a manifest's `data` when it lists shard URLs). */
export interface ListedShards {
  shards: readonly ShardSpec[];
  /** Train shards per peer and window; the manifest's default is 2. */
  shardsPerPeer?: number;
}

/** FNV-1a 64 of `tandem-shards-v1:<peerId>:<window>`, the sampler's hash under another domain. */
export function shardAssignmentSeed(peerId: string, window: number): bigint {
  return fnv1a64(new TextEncoder().encode(`${SHARD_ASSIGNMENT_DOMAIN}:${peerId}:${window}`));
}

/**
 * `count` distinct numbers out of [0, n): the first `count` steps of a
 * Fisher–Yates shuffle driven by SplitMix64 outputs 0, 1, … of `seed`
 * (step i swaps position i with i + draw_i mod (n − i)). All of [0, n) when
 * count ≥ n. In draw order.
 */
export function drawDistinct(n: number, count: number, seed: bigint): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(count, n);
  for (let i = 0; i < take; i += 1) {
    const j = i + Number(splitmix64At(seed, BigInt(i)) % BigInt(n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, take);
}

export class ShardAssignment {
  private readonly shards: readonly ShardSpec[];
  private readonly perPeer: number;
  /** Manifest indices of the train shards, in manifest order: the numbering the draw picks from. */
  private readonly trainIndices: number[];
  private readonly valIndices: number[];

  constructor(data: ListedShards) {
    this.shards = data.shards;
    this.perPeer = data.shardsPerPeer ?? 2;
    if (!Number.isInteger(this.perPeer) || this.perPeer < 1) throw new Error(`data.shardsPerPeer must be a whole number of at least 1, not ${this.perPeer}`);
    this.trainIndices = indicesOf(data.shards, 'train');
    this.valIndices = indicesOf(data.shards, 'val');
    if (this.trainIndices.length === 0) throw new Error('data.shards lists no train shard, so there is nothing to assign');
  }

  /**
   * The train shards of (peerId, window): manifest indices, sorted by the
   * shards' file names on disk (shardFileName), the order the trainer reads them in.
   */
  assigned(peerId: string, window: number): number[] {
    checkPeerAndWindow(peerId, window);
    const drawn = drawDistinct(this.trainIndices.length, this.perPeer, shardAssignmentSeed(peerId, window)).map((k) => this.trainIndices[k]!);
    return this.inFileNameOrder(drawn);
  }

  /** The shards to fetch while training this window: the next window's assignment. */
  shardsToPrefetch(peerId: string, window: number): number[] {
    return this.assigned(peerId, window + 1);
  }

  /** Every peer holds every validation shard (they are small): manifest indices, in file-name order. */
  validation(): number[] {
    return this.inFileNameOrder(this.valIndices);
  }

  /**
   * The shards a peer must hold for a window: its assigned train shards, the
   * next window's, and every validation shard, each once, in that order.
   */
  specsNeeded(peerId: string, window: number): ShardSpec[] {
    const indices = new Set([...this.assigned(peerId, window), ...this.shardsToPrefetch(peerId, window), ...this.validation()]);
    return [...indices].map((i) => this.shards[i]!);
  }

  private inFileNameOrder(indices: readonly number[]): number[] {
    const named = indices.map((index) => ({ index, name: shardFileName(this.shards[index]!) }));
    // File names are ASCII, so comparing UTF-16 code units is the bytewise order; equal
    // names (one shard listed twice) keep manifest order.
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index));
    return named.map((n) => n.index);
  }
}

function indicesOf(shards: readonly ShardSpec[], split: ShardSpec['split']): number[] {
  return shards.flatMap((s, i) => (s.split === split ? [i] : []));
}

function checkPeerAndWindow(peerId: string, window: number): void {
  if (peerId.length === 0) throw new Error('a shard assignment needs a peer id');
  // The seed spells the window in decimal; anything but a whole number would spell it differently on another machine.
  if (!Number.isSafeInteger(window) || window < 0) throw new Error(`window must be a whole number ≥ 0, not ${window}`);
}
