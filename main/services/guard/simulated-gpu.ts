import type { TelemetryFrame } from '../../../contract/domains/hardware';
import type { TelemetryFeedFactory } from '../hardware/telemetry-hub';
import type { TrainerThrottle } from '../../ports/trainer-port';

export interface SimulatedGpuOptions {
  index?: number;
  ambientC?: number;
  /** Where the temperature settles at full duty. */
  fullLoadC?: number;
  startC?: number;
  /** Board power at full duty; idle is a tenth of it. */
  fullLoadW?: number;
  /** Share of the gap to the settling temperature closed per frame. */
  responsiveness?: number;
  /** How long one inner step takes at full speed (sets the duty cycle a pause leaves). */
  stepMs?: number;
  intervalMs?: number;
  now?: () => number;
}

/**
 * A GPU that heats with the trainer's duty cycle, for tests and the devnet
 * demo (TANDEM_SIMULATE_GPU). It is only a telemetry source: the guard
 * treats it like NVML or nvidia-smi. A throttle lowers its duty cycle, so it
 * cools the way a real card does when the work thins out.
 */
export class SimulatedGpu {
  readonly source = 'simulated' as const;
  private temperatureC: number;
  private throttle: TrainerThrottle = { pauseMs: 0, microBatchDivisor: 1 };
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly o: Required<Omit<SimulatedGpuOptions, 'now'>> & { now: () => number };

  constructor(options: SimulatedGpuOptions = {}) {
    this.o = {
      index: options.index ?? 0,
      ambientC: options.ambientC ?? 35,
      fullLoadC: options.fullLoadC ?? 95,
      startC: options.startC ?? options.ambientC ?? 35,
      fullLoadW: options.fullLoadW ?? 300,
      responsiveness: options.responsiveness ?? 0.2,
      stepMs: options.stepMs ?? 500,
      intervalMs: options.intervalMs ?? 1000,
      now: options.now ?? Date.now,
    };
    this.temperatureC = this.o.startC;
  }

  /** The share of time the GPU computes under this throttle. */
  duty(): number {
    const { pauseMs, microBatchDivisor } = this.throttle;
    // Smaller slices run the same work at a lower peak: a little less heat.
    return (this.o.stepMs / (this.o.stepMs + pauseMs)) * (microBatchDivisor > 1 ? 0.85 : 1);
  }

  setThrottle(throttle: TrainerThrottle): void {
    this.throttle = throttle;
  }

  /** Advances one frame and returns it. */
  sample(): TelemetryFrame {
    const duty = this.duty();
    const settle = this.o.ambientC + (this.o.fullLoadC - this.o.ambientC) * duty;
    this.temperatureC += (settle - this.temperatureC) * this.o.responsiveness;
    const powerW = this.o.fullLoadW * (0.1 + 0.9 * duty);
    return {
      at: this.o.now(),
      source: 'simulated',
      gpus: [{ index: this.o.index, utilizationPct: Math.round(duty * 100), memoryUtilizationPct: 40, temperatureC: Math.round(this.temperatureC * 10) / 10, powerW: Math.round(powerW), memoryUsedMiB: 6000, memoryTotalMiB: 24576 }],
    };
  }

  start(onFrame: (frame: TelemetryFrame) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => onFrame(this.sample()), this.o.intervalMs);
    this.timer.unref?.();
  }

  /** This GPU as the app's telemetry source (TelemetryHub), in place of NVML or nvidia-smi. */
  feed(): TelemetryFeedFactory {
    return (onFrame) => ({
      start: () => {
        this.start(onFrame);
        return { source: 'simulated', running: true, detail: 'Simulated GPU (demo): no real GPU is read' };
      },
      stop: () => this.stop(),
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The card TANDEM_SIMULATE_GPU stands for when a fit test or a memory check asks its size: a 24 GiB consumer GPU. */
export const SIMULATED_GPU = { name: 'simulated GPU', vramBytes: 24 * 2 ** 30 } as const;

/** TANDEM_SIMULATE_GPU: `hot` (or `1`) starts over an 83 °C target; any other non-empty value starts cool. */
export function simulatedGpuFromEnv(value: string | undefined): SimulatedGpu | undefined {
  if (!value) return undefined;
  return new SimulatedGpu(value === 'hot' || value === '1' ? { startC: 90, fullLoadC: 96 } : {});
}
