/**
 * Where a peer that is too far behind gets the run's model: the newest
 * published checkpoint (docs/PROTOCOL.md, "Checkpoints"). The round engine
 * only asks; a provider downloads, verifies and loads it into the trainer.
 */
export interface CheckpointSource {
  /**
   * Loads the newest published checkpoint into the trainer when it holds a
   * later window than `than` (null: this peer holds no aggregate yet), and
   * answers that window and digest; null when there is none newer. Throws when one is
   * published but cannot be used (unreachable, wrong hash): the message says why.
   */
  restoreNewer(than: number | null, onProgress?: (note: string) => void): Promise<RestoredCheckpoint | null>;
  /**
   * The uids the run aggregated in `window`, as its publisher recorded them;
   * null when it has no record. A peer replaying a window it did not see
   * gathers these, not the candidates of the subnet as it is now.
   */
  aggregatedIn?(window: number): Promise<readonly number[] | null>;
  /**
   * The weights digest the publisher recorded after `window`'s aggregate
   * (null: its record names none; undefined: no record yet). A peer whose own
   * digest differs has come apart from the run and reloads its model.
   */
  recordedDigest?(window: number): Promise<string | null | undefined>;
  /** Windows between published checkpoints, for the message of a peer that waits for the next one. */
  readonly everyWindows: number;
}

export interface RestoredCheckpoint {
  /** The window whose aggregate the loaded weights hold. */
  window: number;
  /** The weights' digest, as the publisher's trainer reported it. */
  modelDigest: string | null;
}
