/**
 * Speed and time left of a transfer, for progress reports. The speed is the
 * average since the meter started (bytes resumed from disk do not count as
 * speed), which stays steady enough to show without smoothing.
 */
export class TransferMeter {
  private readonly startedAt = performance.now();
  private received = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly reportEveryMs = 250) {}

  /** Counts bytes that arrived now. */
  add(bytes: number): void {
    this.received += bytes;
  }

  get bytesPerSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? this.received / seconds : 0;
  }

  /** Seconds until `remaining` more bytes arrive at the current speed; null before any speed is known. */
  etaSeconds(remaining: number): number | null {
    if (remaining <= 0) return 0;
    const speed = this.bytesPerSecond;
    return speed > 0 ? remaining / speed : null;
  }

  /** True at most once per `reportEveryMs` (the first call always), so a fast link does not flood listeners. */
  reportDue(): boolean {
    const now = performance.now();
    if (now - this.lastReportAt < this.reportEveryMs) return false;
    this.lastReportAt = now;
    return true;
  }
}
