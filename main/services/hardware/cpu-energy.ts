import fs from 'node:fs';
import path from 'node:path';

/**
 * The CPU packages' energy counters, where the OS gives them: Linux's RAPL
 * powercap (`/sys/class/powercap/intel-rapl:N/energy_uj`, one per package;
 * AMD Zen exposes the same interface). Each counter wraps at its
 * `max_energy_range_uj`. Reading usually needs root on recent kernels; where
 * nothing is readable the meter says so and measures nothing.
 */
export class CpuEnergyCounter {
  private readonly last = new Map<string, number>();
  private total = 0;

  private constructor(private readonly domains: ReadonlyArray<{ file: string; range: number }>) {}

  /** The package domains readable under `root`; null when there are none (no RAPL, or no permission). */
  static open(root = '/sys/class/powercap'): CpuEnergyCounter | null {
    let names: string[];
    try {
      names = fs.readdirSync(root).filter((n) => /^intel-rapl:\d+$/.test(n));
    } catch {
      return null;
    }
    const domains = names.flatMap((name) => {
      const file = path.join(root, name, 'energy_uj');
      try {
        fs.readFileSync(file, 'utf8');
        const range = Number(fs.readFileSync(path.join(root, name, 'max_energy_range_uj'), 'utf8').trim());
        return [{ file, range: Number.isFinite(range) && range > 0 ? range : 2 ** 32 }];
      } catch {
        return [];
      }
    });
    if (domains.length === 0) return null;
    const counter = new CpuEnergyCounter(domains);
    counter.read();
    return counter;
  }

  /** Joules drawn by all packages since the counter was opened (wraps accounted for). */
  read(): number {
    for (const { file, range } of this.domains) {
      let now: number;
      try {
        now = Number(fs.readFileSync(file, 'utf8').trim());
      } catch {
        continue;
      }
      if (!Number.isFinite(now)) continue;
      const before = this.last.get(file);
      if (before !== undefined) this.total += (now >= before ? now - before : now + range - before) / 1e6;
      this.last.set(file, now);
    }
    return this.total;
  }
}
