/**
 * Where a peer's training data for a window comes from, when the run lists
 * its shards by URL: the shards assigned to this peer for the window
 * (docs/PROTOCOL.md, section 10), downloaded and verified before training.
 * Runs whose data is a folder on the machine have no WindowData.
 */
export interface WindowData {
  /**
   * The local files of this peer's train shards for `window`, in the order
   * the trainer's sampler indexes them; progress as a sentence for the
   * Dashboard. Throws, saying which shard and why, when they cannot be had.
   */
  shardsFor(window: number, onProgress: (note: string) => void, signal?: AbortSignal): Promise<string[]>;
  /** Starts fetching, in the background, what `window` will need (the next window's shards while this one trains). */
  prefetch?(window: number): void;
}
