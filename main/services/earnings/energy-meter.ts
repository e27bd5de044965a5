export type EnergySource = 'gpu' | 'cpu' | 'gpu+cpu' | 'setting';

export interface EnergyMeterOptions {
  /** The GPUs' board power now (W, summed over the GPUs that report it), or null when none does. */
  gpuWatts(): number | null;
  /** Cumulative joules of the CPU packages (RAPL), or null where the OS gives none. */
  cpuJoules(): number | null;
  /** Settings → Costs: what the user says this machine draws while training (W), for machines that measure nothing. */
  settingWatts(): number | null;
  now?: () => number;
}

/**
 * Energy this machine draws while it trains, per window: the GPUs' power
 * integrated over time (sampled every couple of seconds from the same
 * telemetry the guard uses), plus the CPU packages' own counter where the OS
 * gives one. A machine that measures neither counts the wattage the user set,
 * and says so; with no setting either it counts nothing.
 */
export class EnergyMeter {
  private joules = 0;
  private lastAt: number | null = null;
  private lastCpu: number | null = null;
  private measured = new Set<'gpu' | 'cpu'>();
  private fromSetting = false;
  private readonly now: () => number;

  constructor(private readonly options: EnergyMeterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Adds the energy since the last sample. */
  sample(): void {
    const at = this.now();
    const seconds = this.lastAt === null ? 0 : Math.max(0, (at - this.lastAt) / 1000);
    this.lastAt = at;
    const gpu = this.options.gpuWatts();
    const cpu = this.options.cpuJoules();
    let measuredNow = false;
    if (gpu !== null) {
      this.joules += gpu * seconds;
      this.measured.add('gpu');
      measuredNow = true;
    }
    if (cpu !== null) {
      if (this.lastCpu !== null) this.joules += Math.max(0, cpu - this.lastCpu);
      this.lastCpu = cpu;
      this.measured.add('cpu');
      measuredNow = true;
    }
    const watts = this.options.settingWatts();
    if (!measuredNow && watts !== null) {
      this.joules += watts * seconds;
      this.fromSetting = true;
    }
  }

  /** The energy since the last call, in watt-hours, and what measured it; null when nothing did. */
  take(): { wh: number; source: EnergySource } | null {
    this.sample();
    const source: EnergySource | null = this.measured.size === 2 ? 'gpu+cpu' : this.measured.has('gpu') ? 'gpu' : this.measured.has('cpu') ? 'cpu' : this.fromSetting ? 'setting' : null;
    const wh = this.joules / 3600;
    this.joules = 0;
    this.measured = new Set();
    this.fromSetting = false;
    return source === null ? null : { wh, source };
  }

  /** Starts counting afresh (a Join): time before it is not this run's. */
  reset(): void {
    this.joules = 0;
    this.lastAt = this.now();
    this.lastCpu = this.options.cpuJoules();
    this.measured = new Set();
    this.fromSetting = false;
  }
}
