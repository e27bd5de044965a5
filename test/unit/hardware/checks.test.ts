import { describe, expect, it } from 'vitest';
import type { GpuDetection, SystemInfo } from '../../../contract/domains/hardware';
import { CHECK_IDS, evaluateChecks, exitCodeFor, summarize } from '../../../main/services/hardware/checks';
import { detectContainer, detectVm } from '../../../main/services/hardware/detect';
import { emptyGpu } from '../../../main/services/hardware/nvidia-smi-detection';
import { COVENANT_LIKE_REQUIREMENTS, DEFAULT_GPU_REQUIREMENTS, DEVNET_REQUIREMENTS, HardwareRequirements, parseRequirements } from '../../../main/services/hardware/requirements';

const GiB = 2 ** 30;
const sys: SystemInfo = {
  hostname: 'h',
  os: { platform: 'linux', distro: 'd', release: '1', kernel: 'k', arch: 'x64' },
  cpu: { brand: 'c', cores: 8, physicalCores: 4 },
  memory: { totalBytes: 31.4 * GiB, availableBytes: 20 * GiB },
  disk: { path: '/d', freeBytes: 300 * GiB, totalBytes: 900 * GiB },
  virtualization: { container: null, vm: null },
};
const gpu = (over: Partial<ReturnType<typeof emptyGpu>> = {}) => ({
  ...emptyGpu(0, 'NVIDIA GeForce RTX 4090'),
  vramTotalMiB: 24564,
  computeCapability: '8.9',
  computeCapabilitySource: 'reported' as const,
  driverVersion: '550.54.14',
  pcieWidth: 16,
  pcieWidthMax: 16,
  persistenceMode: 'enabled' as const,
  ...over,
});
const detection = (gpus: ReturnType<typeof gpu>[]): GpuDetection => ({ source: 'nvidia-smi-xml', gpus, attachedGpus: gpus.length, driverVersion: '550.54.14', cudaVersion: '12.4', diagnoses: [] });
const run = (gpus: ReturnType<typeof gpu>[], requirements: HardwareRequirements) =>
  Object.fromEntries(evaluateChecks({ gpu: detection(gpus), system: sys, network: null, networkSkipped: true, requirements, memoryFit: null, round: null, platform: 'linux' }).map((c) => [c.id, c]));

describe('readiness checks', () => {
  it('produce every versioned id exactly once, with the data fields', () => {
    const checks = evaluateChecks({ gpu: detection([gpu()]), system: sys, network: null, networkSkipped: false, requirements: DEFAULT_GPU_REQUIREMENTS, memoryFit: null, round: null });
    expect(checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of checks) {
      expect(c.title.length).toBeGreaterThan(0);
      if (c.status === 'fail' || c.status === 'warn') expect(c.remediation.length, c.id).toBeGreaterThan(10);
    }
  });

  it('a "24 GB" card (24,564 MiB) meets 24 GiB and "32 GB" of RAM meets 32 GiB, within the stated tolerance', () => {
    const checks = run([gpu()], DEFAULT_GPU_REQUIREMENTS);
    expect(checks['gpu.vram']!.status).toBe('pass');
    expect(checks['ram.total']!.status).toBe('pass');
    expect(checks['gpu.compute']!.status).toBe('pass');
    expect(checks['gpu.driver']!.status).toBe('pass');
  });

  it('fails a too-old driver, too few GPUs and a too-old GPU against the Covenant-like run', () => {
    const checks = run([gpu({ computeCapability: '8.6' })], COVENANT_LIKE_REQUIREMENTS);
    expect(checks['gpu.count']!.status).toBe('fail');
    expect(checks['gpu.vram']!.status).toBe('fail');
    expect(checks['gpu.compute']!.status).toBe('fail');
    expect(checks['gpu.driver']!.status).toBe('pass');
    expect(run([gpu()], { driverVersion: '560' })['gpu.driver']!.status).toBe('fail');
  });

  it('warns for MIG, a narrow link and persistence off, without failing', () => {
    const checks = run([gpu({ migMode: 'enabled', migDevices: [{ index: 0, profile: '3g.40gb', memoryTotalMiB: 40448 }], pcieWidth: 8, persistenceMode: 'disabled' })], DEVNET_REQUIREMENTS);
    expect(checks['gpu.mig']!.status).toBe('warn');
    expect(checks['gpu.mig']!.remediation).toContain('-mig 0');
    expect(checks['gpu.pcie']!.status).toBe('warn');
    expect(checks['gpu.persistence']!.status).toBe('warn');
    const summary = summarize(Object.values(checks));
    expect(summary.overall).toBe('warn');
    expect(exitCodeFor(summary.overall)).toBe(1);
  });

  it('exit codes: 0 pass, 1 warn, 2 fail', () => {
    expect([exitCodeFor('pass'), exitCodeFor('warn'), exitCodeFor('fail')]).toEqual([0, 1, 2]);
  });

  it('requirements: all optional, strict, presets valid; devnet needs no GPU', () => {
    expect(HardwareRequirements.parse({})).toEqual({});
    for (const preset of [DEVNET_REQUIREMENTS, DEFAULT_GPU_REQUIREMENTS, COVENANT_LIKE_REQUIREMENTS]) expect(HardwareRequirements.parse(preset)).toEqual(preset);
    expect(DEVNET_REQUIREMENTS.gpuCount ?? 0).toBe(0);
    expect(() => parseRequirements({ vramGB: 3 }, 'm.json')).toThrow(/m\.json/);
    expect(() => parseRequirements({ computeCapability: 'eight' }, 'm.json')).toThrow(/computeCapability/);
  });
});

describe('container and VM detection', () => {
  const none = { dockerenv: false, containerenv: false, cgroup: null, env: {} };
  it('names the runtime from its evidence', () => {
    expect(detectContainer(none)).toBeNull();
    expect(detectContainer({ ...none, dockerenv: true })).toBe('docker');
    expect(detectContainer({ ...none, containerenv: true })).toBe('podman');
    expect(detectContainer({ ...none, cgroup: '0::/kubepods/burstable/pod1/abc' })).toBe('kubernetes');
    expect(detectContainer({ ...none, cgroup: '12:pids:/docker/3f2a' })).toBe('docker');
    expect(detectContainer({ ...none, env: { container: 'lxc' } })).toBe('lxc');
  });
  it('names the hypervisor', () => {
    expect(detectVm({ virtual: true, virtualHost: 'KVM', cpuFlags: '' })).toBe('KVM');
    expect(detectVm({ virtual: false, virtualHost: null, cpuFlags: 'fpu vme hypervisor sse' })).toBe('virtual machine');
    expect(detectVm({ virtual: false, virtualHost: null, cpuFlags: 'fpu vme' })).toBeNull();
  });
});
