/**
 * How often the trainer writes its checkpoint after an outer step. Every
 * step, a crash loses nothing but the window in progress; at real sizes the
 * checkpoint (weights, error feedback, AdamW moments: 16 bytes a parameter,
 * 128 GB at 8B) takes minutes to write and holds up the next window. A
 * checkpoint a few windows old loses nothing either: after a restart the
 * round engine replays the windows since it from the run's storage (up to
 * its catch-up limit). So the spacing follows the last write's measured
 * time: a checkpoint once its cost falls to `share` of the windows since
 * the last one, and at least every `maxWindows` outer steps, so a restart
 * always has them to replay. A tiny model (the devnet's) writes in
 * milliseconds and checkpoints after every step, as before.
 */
export class CheckpointSpacing {
  private stepsSince = 0;
  private lastWriteSeconds: number | null = null;

  constructor(private readonly options: { windowSeconds: number; maxWindows: number; share: number }) {}

  /** Called after each outer step: whether to write the checkpoint now. */
  afterOuterStep(): boolean {
    this.stepsSince += 1;
    return this.stepsSince >= this.spacing();
  }

  /** The checkpoint was written (after an outer step or on request), in this many seconds. */
  wrote(seconds: number): void {
    this.stepsSince = 0;
    this.lastWriteSeconds = seconds;
  }

  /** Outer steps between checkpoints: 1 until a write has been timed. */
  spacing(): number {
    const { windowSeconds, maxWindows, share } = this.options;
    if (this.lastWriteSeconds === null || !(windowSeconds > 0)) return 1;
    const windows = Math.ceil(this.lastWriteSeconds / (share * windowSeconds));
    return Math.max(1, Math.min(Math.max(1, maxWindows), windows));
  }
}
