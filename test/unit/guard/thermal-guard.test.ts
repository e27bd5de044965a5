import { describe, expect, it } from 'vitest';
import { GuardSettings, type GuardState } from '../../../contract/domains/guard';
import { trainerGpuEnv, visibleDevices } from '../../../main/services/guard/gpu-selection';
import { sanitizedEnv } from '../../../main/adapters/process/sanitized-env';
import { applyPowerCaps, restorePowerLimits } from '../../../main/services/guard/power-cap';
import { SimulatedGpu } from '../../../main/services/guard/simulated-gpu';
import { THROTTLE_LEVELS, ThermalGuard } from '../../../main/services/guard/thermal-guard';
import type { TrainerThrottle } from '../../../main/ports/trainer-port';

const settings = (patch: Partial<GuardSettings> = {}) => GuardSettings.parse({ defaultTargetTempC: 83, ...patch });

function harness(gpu: SimulatedGpu, s = settings()) {
  const throttles: TrainerThrottle[] = [];
  const states: GuardState[] = [];
  const guard = new ThermalGuard({
    settings: s,
    onThrottle: (t) => {
      throttles.push(t);
      gpu.setThrottle(t);
    },
    onState: (st) => states.push(st),
  });
  const run = (frames: number) => {
    const temps: number[] = [];
    for (let i = 0; i < frames; i++) {
      const frame = gpu.sample();
      temps.push(frame.gpus[0]!.temperatureC!);
      guard.observe(frame, 'simulated');
    }
    return temps;
  };
  return { guard, throttles, states, run };
}

describe('ThermalGuard', () => {
  it('throttles a GPU over its temperature target at once, and holds it near the target afterwards', () => {
    const gpu = new SimulatedGpu({ startC: 92, fullLoadC: 95 });
    const { guard, throttles, run } = harness(gpu);
    run(1);
    expect(guard.state.throttled).toBe(true);
    expect(guard.state.pauseMs).toBeGreaterThan(0);
    expect(guard.state.reason).toMatch(/^GPU 0 at 9\d °C \(target 83 °C\)$/);
    const temps = run(200);
    // Settled: the last minute stays within 3 °C of the target, far below the 95 °C it would reach unthrottled.
    expect(Math.max(...temps.slice(-60))).toBeLessThanOrEqual(86);
    expect(throttles.length).toBeGreaterThan(1);
    expect(guard.state.throttledSeconds).toBeGreaterThan(0);
  });

  it('escalates step by step while the GPU stays hot, up to the strongest level', () => {
    // A card that is hot even at a low duty cycle.
    const gpu = new SimulatedGpu({ startC: 99, fullLoadC: 140, ambientC: 90 });
    const { guard, throttles, run } = harness(gpu);
    run(40);
    expect(guard.state.level).toBe(THROTTLE_LEVELS.length - 1);
    expect(throttles.map((t) => t.pauseMs)).toEqual(THROTTLE_LEVELS.slice(1).map((t) => t.pauseMs));
  });

  it('eases off once the GPU is cool, back to full speed', () => {
    const gpu = new SimulatedGpu({ startC: 90, fullLoadC: 95 });
    const { guard, run } = harness(gpu, settings({ defaultTargetTempC: 85 }));
    run(1);
    expect(guard.state.level).toBe(1);
    // The room cools: the same work now settles far below the target.
    const cool = new SimulatedGpu({ startC: 60, fullLoadC: 70 });
    for (let i = 0; i < 30; i++) guard.observe(cool.sample(), 'simulated');
    expect(guard.state.level).toBe(0);
    expect(guard.state.throttled).toBe(false);
    expect(guard.state.since).toBeNull();
  });

  it('watches board power against a power target', () => {
    const gpu = new SimulatedGpu({ startC: 50, fullLoadC: 60, fullLoadW: 320 });
    const { guard, run } = harness(gpu, settings({ limits: [{ index: 0, targetTempC: 83, targetPowerW: 250 }] }));
    run(1);
    expect(guard.state.throttled).toBe(true);
    expect(guard.state.reason).toMatch(/GPU 0 drawing 320 W \(target 250 W\)/);
  });

  it('ignores GPUs the trainer does not use, and does nothing when disabled', () => {
    const hot = () => new SimulatedGpu({ index: 0, startC: 95, fullLoadC: 95 });
    const unselected = harness(hot(), settings({ selectedGpus: [1] }));
    unselected.run(5);
    expect(unselected.guard.state.throttled).toBe(false);
    expect(unselected.guard.state.gpus[0]).toMatchObject({ index: 0, selected: false, over: true });
    const disabled = harness(hot(), settings({ enabled: false }));
    disabled.run(5);
    expect(disabled.throttles).toEqual([]);
  });
});

describe('GPU selection', () => {
  it('passes only the chosen GPUs to the trainer, in PCI order', () => {
    expect(visibleDevices(null)).toBeNull();
    expect(visibleDevices([2, 1, 2])).toBe('1,2');
    expect(trainerGpuEnv([1])).toEqual({ CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '1' });
    expect(trainerGpuEnv([])).toEqual({ CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '' });
    expect(trainerGpuEnv(null)).toEqual({});
  });

  it("overrides whatever CUDA_VISIBLE_DEVICES the user's shell had, in the trainer's sanitized environment", () => {
    const env = sanitizedEnv({ PATH: '/bin', CUDA_VISIBLE_DEVICES: '0,1', AWS_SECRET_ACCESS_KEY: 'x' }, trainerGpuEnv([1]));
    expect(env).toEqual({ PATH: '/bin', CUDA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID', OMP_WAIT_POLICY: 'passive' });
  });
});

describe('power cap', () => {
  const capped = settings({ applyPowerCap: true, selectedGpus: [0, 1], limits: [{ index: 0, targetTempC: 80, targetPowerW: 250 }, { index: 1, targetTempC: 80, targetPowerW: 200 }, { index: 2, targetTempC: 80, targetPowerW: 100 }] });

  it('runs nvidia-smi -pl for each selected GPU with a power target', async () => {
    const calls: string[][] = [];
    const result = await applyPowerCaps(capped, async (cmd, args) => {
      calls.push([cmd, ...args]);
      return { stdout: '', stderr: '' };
    });
    expect(calls).toEqual([
      ['nvidia-smi', '-i', '0', '-pl', '250'],
      ['nvidia-smi', '-i', '1', '-pl', '200'],
    ]);
    expect(result).toEqual({ status: 'applied', detail: 'Power capped with nvidia-smi: GPU 0: 250 W, GPU 1: 200 W.', capped: [0, 1] });
  });

  it('says plainly when it lacks the rights, and is off unless asked for', async () => {
    const denied = await applyPowerCaps(capped, async () => {
      throw Object.assign(new Error('Command failed'), { stderr: 'Changing power management limit is not supported in current scope. Insufficient Permissions' });
    });
    expect(denied.status).toBe('failed');
    expect(denied.detail).toMatch(/needs administrator rights/);
    expect(await applyPowerCaps(settings(), async () => ({ stdout: '', stderr: '' }))).toEqual({ status: 'off', detail: null, capped: [] });
  });

  it('puts the default power limit back', async () => {
    const calls: string[] = [];
    const problems = await restorePowerLimits([0, 3], async (_cmd, args) => {
      calls.push(args.join(' '));
      if (args.includes('3')) return { stdout: '[N/A]\n', stderr: '' };
      return { stdout: args.some((a) => a.startsWith('--query-gpu')) ? '450.00\n' : '', stderr: '' };
    });
    expect(calls).toEqual(['-i 0 --query-gpu=power.default_limit --format=csv,noheader,nounits', '-i 0 -pl 450', '-i 3 --query-gpu=power.default_limit --format=csv,noheader,nounits']);
    expect(problems).toEqual(['GPU 3: no default power limit reported ([N/A])']);
  });
});
