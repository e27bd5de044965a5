import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMeter } from '../../../main/services/earnings/energy-meter';
import { CpuEnergyCounter } from '../../../main/services/hardware/cpu-energy';
import { makeTempDir } from '../../support/temp-dir';

describe('the energy meter', () => {
  it('integrates the GPUs\u2019 power over time and adds the CPU counter\u2019s joules, window by window', () => {
    let now = 0;
    let gpu: number | null = 300;
    let cpu = 1000;
    const meter = new EnergyMeter({ gpuWatts: () => gpu, cpuJoules: () => cpu, settingWatts: () => 999, now: () => now });
    meter.reset();
    // 60 s at 300 W (18 kJ) while the CPU draws 3.6 kJ: 6 Wh in all.
    for (let t = 1; t <= 30; t++) {
      now = t * 2000;
      cpu += 120;
      meter.sample();
    }
    const first = meter.take()!;
    expect(first.source).toBe('gpu+cpu');
    expect(first.wh).toBeCloseTo(6, 9);
    // The next window starts from zero; a GPU that stops reporting leaves the CPU's counter alone.
    gpu = null;
    now += 10_000;
    cpu += 360;
    const second = meter.take()!;
    expect(second).toEqual({ wh: 0.1, source: 'cpu' });
  });

  it('counts the user\u2019s wattage only where nothing is measured, and nothing without it', () => {
    let now = 0;
    let watts: number | null = 120;
    const meter = new EnergyMeter({ gpuWatts: () => null, cpuJoules: () => null, settingWatts: () => watts, now: () => now });
    meter.reset();
    now = 30_000;
    expect(meter.take()).toEqual({ wh: 1, source: 'setting' });
    watts = null;
    now = 60_000;
    expect(meter.take()).toBeNull();
  });
});

describe('the CPU energy counter (RAPL powercap)', () => {
  const temp = makeTempDir('tandem-rapl-');
  afterEach(() => fs.rmSync(path.join(temp.dir, 'powercap'), { recursive: true, force: true }));
  const domain = (name: string, energy: number, range = 1_000_000) => {
    const dir = path.join(temp.dir, 'powercap', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'energy_uj'), `${energy}\n`);
    fs.writeFileSync(path.join(dir, 'max_energy_range_uj'), `${range}\n`);
  };

  it('sums the packages\u2019 counters, across a wrap, and ignores sub-domains', () => {
    domain('intel-rapl:0', 900_000);
    domain('intel-rapl:1', 100);
    domain('intel-rapl:0:0', 5); // a core sub-domain: already inside package 0
    const counter = CpuEnergyCounter.open(path.join(temp.dir, 'powercap'))!;
    expect(counter.read()).toBe(0);
    domain('intel-rapl:0', 100_000); // wrapped: 900000 → 1000000 → 100000 is 200000 µJ
    domain('intel-rapl:1', 500_100);
    expect(counter.read()).toBeCloseTo(0.7, 12);
  });

  it('is absent where the OS gives no counter', () => {
    expect(CpuEnergyCounter.open(path.join(temp.dir, 'nowhere'))).toBeNull();
  });
});
