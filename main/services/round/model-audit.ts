/**
 * Checks this peer's model against the run's, window by window: after each
 * outer step the peer's weights digest should be the one the run's checkpoint
 * publisher recorded for that window (docs/PROTOCOL.md, section 7). Peers can
 * come apart without anyone doing wrong on their side: an update that some of
 * them could read and others could not (a bucket whose key was revoked
 * mid-gather, a peer serving different bytes to different readers). A peer
 * that finds itself apart goes back to the run's model (RoundEngine).
 */
export interface RecordedDigests {
  /**
   * The digest the publisher recorded after `window`'s aggregate: a string,
   * null when its record names none, undefined when there is no record (yet).
   */
  recordedDigest(window: number): Promise<string | null | undefined>;
}

export interface Divergence {
  /** The first window after which this peer's weights were not the run's. */
  window: number;
  ours: string;
  run: string;
}

export class ModelAudit {
  /** Applied windows not checked yet: window -> this peer's digest after it. */
  private readonly pending = new Map<number, string>();

  /**
   * @param waitWindows how many windows a record may take to appear before
   *   the window is left unchecked (a publisher that is down must not stop
   *   the run; its next checkpoint is compared in its turn).
   */
  constructor(
    private readonly source: RecordedDigests,
    private readonly waitWindows = 3,
  ) {}

  noteApplied(window: number, digest: string | null): void {
    if (digest) this.pending.set(window, digest);
  }

  /** Forgets what was noted: the model was just replaced by the run's own. */
  reset(): void {
    this.pending.clear();
  }

  /**
   * The first noted window whose digest differs from the run's record, or
   * null. Windows that match, or have no digest recorded, or no record after
   * `waitWindows` windows, are dropped; the others stay for the next call.
   */
  async firstDivergence(currentWindow: number): Promise<Divergence | null> {
    for (const window of [...this.pending.keys()].sort((a, b) => a - b)) {
      const ours = this.pending.get(window) as string;
      const run = await this.source.recordedDigest(window);
      if (run === undefined) {
        if (currentWindow - window > this.waitWindows) this.pending.delete(window);
        continue;
      }
      this.pending.delete(window);
      if (run !== null && run !== ours) return { window, ours, run };
    }
    return null;
  }
}
