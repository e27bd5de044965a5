import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import type { GpuDetection, SystemInfo } from '../../../contract/domains/hardware';
import { parseNvidiaSmiOutput } from './nvidia-smi';
import { parseCsv } from './nvidia-smi-csv';
import type { CommandOutput } from './nvidia-smi-failures';
import { textValue } from './values';

/** Runs a program to completion; injected so tests never need a GPU or nvidia-smi. */
export type RunCommand = (command: string, args: string[], options?: { timeoutMs?: number }) => Promise<CommandOutput>;

export const runCommand: RunCommand = (command, args, options = {}) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: options.timeoutMs ?? 15_000, maxBuffer: 32 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr, exitCode: 0 });
      const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string };
      if (e.code === 'ENOENT') return resolve({ stdout: '', stderr: String(e.message), exitCode: null, errorCode: 'ENOENT' });
      if (e.killed || e.signal) return resolve({ stdout, stderr, exitCode: null, errorCode: 'ETIMEDOUT' });
      resolve({ stdout, stderr, exitCode: typeof e.code === 'number' ? e.code : 1 });
    });
  });

/**
 * GPUs from `nvidia-smi -q -x`, completed with the compute capability from
 * `--query-gpu=compute_cap` where the driver reports it. A failure becomes a
 * named diagnosis, never an exception.
 */
export async function detectGpus(run: RunCommand = runCommand): Promise<GpuDetection> {
  const output = await run('nvidia-smi', ['-q', '-x']);
  const detection = parseNvidiaSmiOutput(output);
  if (detection.gpus.length === 0) return detection;
  const caps = await run('nvidia-smi', ['--query-gpu=index,uuid,compute_cap', '--format=csv']);
  if (caps.exitCode !== 0) return detection;
  const rows = parseCsv(caps.stdout);
  const gpus = detection.gpus.map((gpu) => {
    const row = rows.find((r) => (gpu.uuid && r['uuid'] === gpu.uuid) || Number(r['index']) === gpu.index);
    const cc = textValue(row?.['compute_cap']);
    return cc && /^\d+\.\d+$/.test(cc) ? { ...gpu, computeCapability: cc, computeCapabilitySource: 'reported' as const } : gpu;
  });
  return { ...detection, gpus };
}

export interface ContainerEvidence {
  dockerenv: boolean;
  containerenv: boolean;
  cgroup: string | null;
  env: Record<string, string | undefined>;
}

/** Which container runtime, if any, this process runs in. Pure: evidence is gathered by the caller. */
export function detectContainer(evidence: ContainerEvidence): string | null {
  if (evidence.env['KUBERNETES_SERVICE_HOST'] || /kubepods/.test(evidence.cgroup ?? '')) return 'kubernetes';
  if (evidence.containerenv || evidence.env['container'] === 'podman') return 'podman';
  if (evidence.dockerenv || /\/docker[/-]/.test(evidence.cgroup ?? '')) return 'docker';
  if (/\/lxc\//.test(evidence.cgroup ?? '') || evidence.env['container'] === 'lxc') return 'lxc';
  if (evidence.env['container']) return evidence.env['container']!;
  return null;
}

/** The hypervisor, if systeminformation or the CPU flags say this is a virtual machine. */
export function detectVm(evidence: { virtual: boolean; virtualHost: string | null; cpuFlags: string }): string | null {
  if (evidence.virtual) return evidence.virtualHost || 'virtual machine';
  if (/\bhypervisor\b/.test(evidence.cpuFlags)) return 'virtual machine';
  return null;
}

/** Free and total bytes of the file system holding `dir` (or its nearest existing parent). */
export async function diskSpace(dir: string): Promise<{ path: string; freeBytes: number | null; totalBytes: number | null }> {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  try {
    const stats = await fs.promises.statfs(probe);
    return { path: dir, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    return { path: dir, freeBytes: null, totalBytes: null };
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** CPU, memory, disk on the data folder, OS, and container / VM, through systeminformation and the file system. */
export async function detectSystem(dataDir: string): Promise<SystemInfo> {
  const [cpu, mem, osInfo, system, flags, disk] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.osInfo(),
    si.system().catch(() => ({ virtual: false, virtualHost: '' })),
    si.cpuFlags().catch(() => ''),
    diskSpace(dataDir),
  ]);
  const container = detectContainer({
    dockerenv: fs.existsSync('/.dockerenv'),
    containerenv: fs.existsSync('/run/.containerenv'),
    cgroup: await readText('/proc/1/cgroup'),
    env: process.env,
  });
  return {
    hostname: os.hostname(),
    os: { platform: osInfo.platform || process.platform, distro: osInfo.distro || '', release: osInfo.release || '', kernel: osInfo.kernel || os.release(), arch: osInfo.arch || process.arch },
    cpu: { brand: [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ') || 'unknown CPU', cores: cpu.cores || os.cpus().length, physicalCores: cpu.physicalCores || cpu.cores || 0 },
    memory: { totalBytes: mem.total, availableBytes: mem.available },
    disk,
    virtualization: { container, vm: detectVm({ virtual: Boolean(system.virtual), virtualHost: system.virtualHost || null, cpuFlags: flags }) },
  };
}
