import type { TelemetryFrame, TelemetryStatus } from '../../../contract/domains/hardware';
import { TelemetryStream, type TelemetryOptions } from './telemetry';

/** Something that produces frames between start() and stop(): NVML/nvidia-smi, or a simulated GPU. */
export interface TelemetryFeed {
  start(): TelemetryStatus;
  stop(): void;
  /** The status now, when it can change after start() (nvidia-smi missing or exiting). */
  readonly current?: TelemetryStatus;
}

export type TelemetryFeedFactory = (onFrame: (frame: TelemetryFrame) => void) => TelemetryFeed;

/** The real GPUs: NVML through the addon when it loads, else one nvidia-smi process. */
export const gpuTelemetryFeed =
  (options?: TelemetryOptions): TelemetryFeedFactory =>
  (onFrame) =>
    new TelemetryStream(onFrame, options);

const STOPPED: TelemetryStatus = { source: 'none', running: false, detail: null };

/**
 * One telemetry source shared by everyone who reads it (the Hardware page and
 * Dashboard, the thermal guard): they all see the same GPUs, and a machine
 * never runs two samplers. The source runs while anyone is subscribed.
 */
export class TelemetryHub {
  private readonly listeners = new Set<(frame: TelemetryFrame) => void>();
  private feed: TelemetryFeed | null = null;
  private lastStatus: TelemetryStatus = STOPPED;

  constructor(private readonly makeFeed: TelemetryFeedFactory = gpuTelemetryFeed()) {}

  get status(): TelemetryStatus {
    return this.feed?.current ?? this.lastStatus;
  }

  /** Starts the source if it is not running yet; the returned function unsubscribes (and stops it after the last one). */
  subscribe(listener: (frame: TelemetryFrame) => void): { status: TelemetryStatus; unsubscribe: () => void } {
    this.listeners.add(listener);
    // A source that died (nvidia-smi exited) is started afresh for the next subscriber.
    if (!this.feed || !this.status.running) {
      this.feed?.stop();
      this.feed = this.makeFeed((frame) => {
        for (const l of [...this.listeners]) l(frame);
      });
      this.lastStatus = this.feed.start();
    }
    let subscribed = true;
    return {
      status: this.status,
      unsubscribe: () => {
        if (!subscribed) return;
        subscribed = false;
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stop();
      },
    };
  }

  /** Stops the source for everyone (app shutdown). */
  stop(): TelemetryStatus {
    this.lastStatus = { ...this.status, running: false };
    this.feed?.stop();
    this.feed = null;
    return this.lastStatus;
  }
}
