import type { GpuGuardReading, GuardSettings, GuardSource, GuardState } from '../../../contract/domains/guard';
import type { GpuSample } from '../../../contract/domains/hardware';
import type { TrainerThrottle } from '../../ports/trainer-port';

/**
 * Throttle steps, gentlest first. Pauses between inner steps cut the duty
 * cycle (heat and power follow it within seconds); smaller micro-batches cut
 * peak power and memory per kernel. Neither changes what is trained, so a
 * throttled window is slower, never lost.
 */
export const THROTTLE_LEVELS: readonly TrainerThrottle[] = [
  { pauseMs: 0, microBatchDivisor: 1 },
  { pauseMs: 250, microBatchDivisor: 1 },
  { pauseMs: 500, microBatchDivisor: 2 },
  { pauseMs: 1000, microBatchDivisor: 2 },
  { pauseMs: 2000, microBatchDivisor: 4 },
];
const MAX_LEVEL = THROTTLE_LEVELS.length - 1;

export interface ThermalGuardOptions {
  settings: GuardSettings;
  onThrottle(throttle: TrainerThrottle): void;
  onState?(state: GuardState): void;
  /** Frames over target (after the first step) before throttling harder: time for the last step to bite. */
  escalateFrames?: number;
  /** Frames comfortably under target before easing off one step. */
  relaxFrames?: number;
  /** How far under the temperature target counts as cool (stops flapping at the threshold). */
  hysteresisC?: number;
}

/**
 * Keeps each selected GPU under its temperature and power targets by
 * throttling the trainer in steps. Fed telemetry frames from any source (NVML,
 * nvidia-smi, a simulated GPU); it never special-cases one.
 */
export class ThermalGuard {
  private settings: GuardSettings;
  private level = 0;
  private overFrames = 0;
  private coolFrames = 0;
  private lastFrameAt: number | null = null;
  private current: GuardState;

  constructor(private readonly options: ThermalGuardOptions) {
    this.settings = options.settings;
    this.current = {
      enabled: this.settings.enabled,
      source: 'none',
      level: 0,
      throttled: false,
      pauseMs: 0,
      microBatchDivisor: 1,
      reason: null,
      since: null,
      throttledSeconds: 0,
      gpus: [],
      powerCap: { status: 'off', detail: null },
      visibleDevices: null,
    };
  }

  get state(): GuardState {
    return this.current;
  }

  configure(settings: GuardSettings): void {
    this.settings = settings;
    if (!settings.enabled && this.level > 0) this.setLevel(0, null, Date.now());
    this.patch({ enabled: settings.enabled });
  }

  /** Shares the power-cap and device-selection facts owned elsewhere, so one state goes to the UI. */
  patch(patch: Partial<GuardState>): void {
    this.current = { ...this.current, ...patch };
    this.options.onState?.(this.current);
  }

  observe(frame: { at: number; gpus: readonly GpuSample[] }, source: GuardSource): void {
    const hysteresis = this.options.hysteresisC ?? 3;
    const readings = frame.gpus.map((gpu) => this.reading(gpu));
    const watched = readings.filter((r) => r.selected);
    const over = watched.filter((r) => r.over);
    const cool = watched.every((r) => (r.temperatureC === null || r.temperatureC <= r.targetTempC - hysteresis) && (r.powerW === null || r.targetPowerW === null || r.powerW <= r.targetPowerW * 0.95));
    const throttledSeconds = this.current.throttledSeconds + (this.level > 0 && this.lastFrameAt !== null ? Math.max(0, frame.at - this.lastFrameAt) / 1000 : 0);
    this.lastFrameAt = frame.at;
    this.current = { ...this.current, source, gpus: readings, throttledSeconds };

    if (this.settings.enabled) {
      if (over.length > 0) {
        this.coolFrames = 0;
        this.overFrames += 1;
        // React to the first hot frame at once; after that give each step time to bite.
        if (this.level < MAX_LEVEL && this.overFrames >= (this.level === 0 ? 1 : (this.options.escalateFrames ?? 3))) {
          this.overFrames = 0;
          this.setLevel(this.level + 1, describeOver(over), frame.at);
        } else if (this.level > 0) this.current = { ...this.current, reason: describeOver(over) };
      } else if (cool) {
        this.overFrames = 0;
        this.coolFrames += 1;
        if (this.level > 0 && this.coolFrames >= (this.options.relaxFrames ?? 10)) {
          this.coolFrames = 0;
          this.setLevel(this.level - 1, this.level - 1 > 0 ? 'Cooling down: easing off one step at a time.' : null, frame.at);
        }
      } else {
        // Between the target and the hysteresis band: hold the current step.
        this.overFrames = 0;
        this.coolFrames = 0;
        if (this.level > 0) this.current = { ...this.current, reason: `Holding: ${describeNear(watched, hysteresis)}` };
      }
    }
    this.options.onState?.(this.current);
  }

  private reading(gpu: GpuSample): GpuGuardReading {
    const selected = this.settings.selectedGpus === null || this.settings.selectedGpus.includes(gpu.index);
    const limit = this.settings.limits.find((l) => l.index === gpu.index);
    const targetTempC = limit?.targetTempC ?? this.settings.defaultTargetTempC;
    const targetPowerW = limit?.targetPowerW ?? null;
    const hot = gpu.temperatureC !== null && gpu.temperatureC > targetTempC;
    const hungry = gpu.powerW !== null && targetPowerW !== null && gpu.powerW > targetPowerW;
    return { index: gpu.index, selected, temperatureC: gpu.temperatureC, powerW: gpu.powerW, targetTempC, targetPowerW, over: hot || hungry };
  }

  private setLevel(level: number, reason: string | null, at: number): void {
    const wasThrottled = this.level > 0;
    this.level = level;
    const throttle = THROTTLE_LEVELS[level]!;
    this.current = {
      ...this.current,
      level,
      throttled: level > 0,
      pauseMs: throttle.pauseMs,
      microBatchDivisor: throttle.microBatchDivisor,
      reason,
      since: level === 0 ? null : wasThrottled ? this.current.since : at,
    };
    this.options.onThrottle(throttle);
  }
}

function describeOver(over: readonly GpuGuardReading[]): string {
  return over
    .map((r) =>
      r.temperatureC !== null && r.temperatureC > r.targetTempC
        ? `GPU ${r.index} at ${Math.round(r.temperatureC)} °C (target ${r.targetTempC} °C)`
        : `GPU ${r.index} drawing ${Math.round(r.powerW ?? 0)} W (target ${r.targetPowerW} W)`,
    )
    .join('; ');
}

function describeNear(watched: readonly GpuGuardReading[], hysteresis: number): string {
  const warm = watched.find((r) => r.temperatureC !== null && r.temperatureC > r.targetTempC - hysteresis) ?? watched[0];
  if (!warm) return 'no GPU readings';
  return `GPU ${warm.index} at ${warm.temperatureC === null ? '?' : Math.round(warm.temperatureC)} °C; full speed again below ${warm.targetTempC - hysteresis} °C`;
}
