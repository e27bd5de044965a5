import type { Check, CheckCategory, CheckStatus, GpuDetection, GpuInfo, MemoryFitResult, NetworkMeasurement, RoundEstimate, SystemInfo } from '../../../contract/domains/hardware';
import { HARDWARE_CHECKS_VERSION } from '../../../contract/domains/hardware';
import type { HardwareRequirements } from './requirements';
import { compareVersions, formatBytes, formatMbps, GIB } from './values';

/**
 * Every readiness check, as data: what was measured, what the run requires,
 * pass / warn / fail / skip, and what to do about it. The list (ids and
 * meaning) is versioned by HARDWARE_CHECKS_VERSION.
 */
export { HARDWARE_CHECKS_VERSION };

export const CHECK_IDS = [
  'gpu.present',
  'gpu.count',
  'gpu.vram',
  'gpu.compute',
  'gpu.driver',
  'gpu.mig',
  'gpu.pcie',
  'gpu.persistence',
  'gpu.virtual',
  'gpu.health',
  'gpu.memory-fit',
  'system.cpu',
  'ram.total',
  'disk.free',
  'system.virtualization',
  'net.storage-latency',
  'net.upload',
  'net.download',
  'net.deadline',
  'net.chain-latency',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** Boards and DIMMs report a little less than their nominal size (a "24 GB" card shows 23.99 GiB). */
export const VRAM_TOLERANCE = 0.97;
export const RAM_TOLERANCE = 0.95;
/** A link within this share of the requirement warns instead of failing. */
export const BANDWIDTH_WARN_SHARE = 0.8;
/** An upload that uses more than this share of the deadline warns: no margin for a slow moment. */
export const DEADLINE_WARN_SHARE = 0.8;
export const CHAIN_LATENCY_WARN_MS = 500;

export interface CheckInput {
  gpu: GpuDetection;
  system: SystemInfo | null;
  network: NetworkMeasurement | null;
  networkSkipped: boolean;
  requirements: HardwareRequirements;
  memoryFit: MemoryFitResult | null;
  round: RoundEstimate | null;
  platform?: string;
}

const NOT_REQUIRED = 'not required';

function make(id: CheckId, title: string, category: CheckCategory, status: CheckStatus, measured: string, required: string, remediation = '', detail?: string): Check {
  return { id, title, category, status, measured, required, remediation: status === 'pass' || status === 'skip' ? '' : remediation, ...(detail ? { detail } : {}) };
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/** GPUs that count toward the requirement: whole GPUs, largest first. */
export function usableGpus(gpus: GpuInfo[]): GpuInfo[] {
  return [...gpus].sort((a, b) => (b.vramTotalMiB ?? 0) - (a.vramTotalMiB ?? 0));
}

export function evaluateChecks(input: CheckInput): Check[] {
  const req = input.requirements;
  const checks: Check[] = [];
  const gpus = usableGpus(input.gpu.gpus);
  const gpuNeeded = (req.gpuCount ?? 0) > 0;
  const counted = gpus.slice(0, Math.max(1, req.gpuCount ?? gpus.length));
  const container = input.system?.virtualization.container ?? null;
  const firstError = input.gpu.diagnoses.find((d) => d.severity === 'error');

  // gpu.present
  if (gpus.length > 0) {
    checks.push(make('gpu.present', 'NVIDIA GPU present', 'gpu', 'pass', gpus.map((g) => g.name).join(', '), gpuNeeded ? 'at least 1 NVIDIA GPU' : NOT_REQUIRED));
  } else {
    const why = firstError ? `${firstError.title}. ${firstError.detail}` : 'No NVIDIA GPU was found.';
    let remediation = firstError?.remediation ?? 'Install an NVIDIA GPU and its driver, then run the check again.';
    if (container && firstError?.code !== 'nvml-unknown-error') remediation += ` This process runs in a ${container} container: start it with the NVIDIA Container Toolkit (\`--gpus all\`).`;
    checks.push(make('gpu.present', 'NVIDIA GPU present', 'gpu', gpuNeeded ? 'fail' : 'pass', 'none', gpuNeeded ? 'at least 1 NVIDIA GPU' : NOT_REQUIRED, remediation, why));
  }
  const noGpu = gpus.length === 0;
  const skipNoGpu = (id: CheckId, title: string, required: string) => make(id, title, 'gpu', 'skip', '—', required, '', 'No GPU detected.');

  // gpu.count
  {
    const required = req.gpuCount !== undefined ? `≥ ${req.gpuCount}` : NOT_REQUIRED;
    if (noGpu) checks.push(skipNoGpu('gpu.count', 'GPU count', required));
    else {
      const ok = req.gpuCount === undefined || gpus.length >= req.gpuCount;
      checks.push(
        make('gpu.count', 'GPU count', 'gpu', ok ? 'pass' : 'fail', String(gpus.length), required, `The run trains on ${req.gpuCount} GPUs per peer; add GPUs or choose a run for ${gpus.length}.`),
      );
    }
  }

  // gpu.vram
  {
    const required = req.vramPerGpuGiB !== undefined ? `≥ ${req.vramPerGpuGiB} GiB per GPU` : NOT_REQUIRED;
    const sizes = counted.map((g) => g.vramTotalMiB).filter((v): v is number => v !== null);
    if (noGpu) checks.push(skipNoGpu('gpu.vram', 'GPU memory', required));
    else if (sizes.length === 0) checks.push(make('gpu.vram', 'GPU memory', 'gpu', req.vramPerGpuGiB ? 'warn' : 'pass', 'unknown', required, 'nvidia-smi did not report GPU memory; update the driver.'));
    else {
      const smallest = Math.min(...sizes);
      const ok = req.vramPerGpuGiB === undefined || smallest >= req.vramPerGpuGiB * 1024 * VRAM_TOLERANCE;
      const measured = counted.length > 1 ? `${counted.length} × ${gib(smallest)}${sizes.some((s) => s !== smallest) ? ' (smallest)' : ''}` : gib(smallest);
      checks.push(make('gpu.vram', 'GPU memory', 'gpu', ok ? 'pass' : 'fail', measured, required, 'This run needs GPUs with more memory; choose a run with a smaller model, or use larger GPUs.'));
    }
  }

  // gpu.compute
  {
    const required = req.computeCapability ? `≥ ${req.computeCapability}` : NOT_REQUIRED;
    const caps = counted.map((g) => g.computeCapability);
    if (noGpu) checks.push(skipNoGpu('gpu.compute', 'CUDA compute capability', required));
    else if (caps.some((c) => c === null)) {
      checks.push(make('gpu.compute', 'CUDA compute capability', 'gpu', req.computeCapability ? 'warn' : 'pass', 'unknown', required, 'The driver does not report the compute capability and the board name is not known; update the NVIDIA driver.'));
    } else {
      const lowest = (caps as string[]).sort(compareVersions)[0]!;
      const inferred = counted.some((g) => g.computeCapabilitySource === 'inferred');
      const ok = !req.computeCapability || compareVersions(lowest, req.computeCapability) >= 0;
      checks.push(
        make('gpu.compute', 'CUDA compute capability', 'gpu', ok ? 'pass' : 'fail', `${lowest}${inferred ? ' (from the board name)' : ''}`, required, `The run's kernels need compute capability ${req.computeCapability} (bf16 tensor cores); this GPU is too old for it.`),
      );
    }
  }

  // gpu.driver
  {
    const required = req.driverVersion ? `≥ ${req.driverVersion}` : NOT_REQUIRED;
    const version = input.gpu.driverVersion ?? counted[0]?.driverVersion ?? null;
    if (noGpu) checks.push(skipNoGpu('gpu.driver', 'NVIDIA driver', required));
    else if (version === null) checks.push(make('gpu.driver', 'NVIDIA driver', 'gpu', req.driverVersion ? 'warn' : 'pass', 'unknown', required, 'nvidia-smi did not report the driver version; reinstall the driver.'));
    else {
      const ok = !req.driverVersion || compareVersions(version, req.driverVersion) >= 0;
      const cuda = input.gpu.cudaVersion ? ` (CUDA ${input.gpu.cudaVersion})` : '';
      checks.push(make('gpu.driver', 'NVIDIA driver', 'gpu', ok ? 'pass' : 'fail', `${version}${cuda}`, required, `Update the NVIDIA driver to ${req.driverVersion} or newer from your distribution or nvidia.com, then reboot.`));
    }
  }

  if (noGpu) {
    for (const [id, title] of [
      ['gpu.mig', 'MIG partitioning'],
      ['gpu.pcie', 'PCIe link'],
      ['gpu.persistence', 'Persistence mode'],
      ['gpu.virtual', 'Whole GPU (not vGPU)'],
      ['gpu.health', 'GPU health warnings'],
    ] as const)
      checks.push(skipNoGpu(id, title, NOT_REQUIRED));
  } else {
    const mig = counted.filter((g) => g.migMode === 'enabled');
    checks.push(
      make(
        'gpu.mig',
        'MIG partitioning',
        'gpu',
        mig.length > 0 ? 'warn' : 'pass',
        mig.length > 0 ? mig.map((g) => `GPU ${g.index}: ${g.migDevices.length} MIG instances`).join('; ') : 'off',
        'off (whole GPUs)',
        `Disable MIG so training gets the whole GPU: ${mig.map((g) => `\`sudo nvidia-smi -i ${g.index} -mig 0\``).join(', ')}, then reset the GPU or reboot.`,
      ),
    );
    const narrow = counted.filter((g) => g.pcieWidth !== null && g.pcieWidthMax !== null && g.pcieWidth < g.pcieWidthMax);
    const links = counted.map((g) => (g.pcieWidth !== null ? `${g.pcieGenerationMax !== null ? `Gen${g.pcieGenerationMax} ` : ''}x${g.pcieWidth}` : 'unknown')).join(', ');
    checks.push(
      make(
        'gpu.pcie',
        'PCIe link',
        'gpu',
        narrow.length > 0 ? 'warn' : 'pass',
        links,
        'full link width',
        `${narrow.map((g) => `GPU ${g.index} runs at x${g.pcieWidth} of x${g.pcieWidthMax}`).join('; ')}: move it to a full-width slot or check the riser; host-device copies will be slower.`,
        'The link generation drops at idle to save power, so only the width is judged.',
      ),
    );
    const off = counted.filter((g) => g.persistenceMode === 'disabled');
    const linux = (input.platform ?? process.platform) === 'linux';
    checks.push(
      make(
        'gpu.persistence',
        'Persistence mode',
        'gpu',
        off.length > 0 && linux ? 'warn' : 'pass',
        counted.map((g) => g.persistenceMode ?? 'n/a').join(', '),
        'enabled (Linux)',
        'Enable persistence mode so the driver stays loaded between rounds: `sudo nvidia-smi -pm 1` (or enable the nvidia-persistenced service).',
      ),
    );
    const vgpu = counted.filter((g) => g.virtualizationMode?.toUpperCase() === 'VGPU');
    checks.push(
      make(
        'gpu.virtual',
        'Whole GPU (not vGPU)',
        'gpu',
        vgpu.length > 0 ? 'warn' : 'pass',
        counted.map((g) => g.virtualizationMode ?? 'none').join(', '),
        'bare metal or pass-through',
        'This is a slice of a shared virtual GPU; its memory and speed are a fraction of the board. Use bare metal or PCIe pass-through.',
      ),
    );
    const warnings = input.gpu.diagnoses.filter((d) => d.severity !== 'info' && !['mig-enabled', 'vgpu-guest'].includes(d.code));
    checks.push(
      make(
        'gpu.health',
        'GPU health warnings',
        'gpu',
        warnings.length > 0 ? 'warn' : 'pass',
        warnings.length > 0 ? warnings.map((d) => d.title).join('; ') : 'none',
        'none',
        warnings.map((d) => d.remediation).join(' '),
        warnings.map((d) => d.detail).join(' ') || undefined,
      ),
    );
  }

  // gpu.memory-fit
  {
    const fit = input.memoryFit;
    if (!gpuNeeded || noGpu || !fit) checks.push(make('gpu.memory-fit', "Run's model fits in GPU memory", 'training', 'skip', '—', gpuNeeded ? 'micro-batch ≥ 1' : NOT_REQUIRED, '', noGpu ? 'No GPU detected.' : undefined));
    else {
      const measured = fit.recommended ? `micro-batch ${fit.recommended.microBatch}${fit.recommended.checkpointing ? ' with activation checkpointing' : ''}` : 'does not fit';
      checks.push(
        make(
          'gpu.memory-fit',
          "Run's model fits in GPU memory",
          'training',
          fit.fits ? 'pass' : 'fail',
          measured,
          'micro-batch ≥ 1',
          `${fit.reason ?? ''}. Use more or larger GPUs, or choose a run with a smaller model.`,
          `${(fit.parameters / 1e9).toFixed(2)} B parameters; ${formatBytes(fit.staticBytesPerGpu)} of weights and optimizer state per GPU of ${formatBytes(fit.usableBytesPerGpu)} usable.`,
        ),
      );
    }
  }

  // system
  const sys = input.system;
  checks.push(
    sys
      ? make('system.cpu', 'CPU', 'system', 'pass', `${sys.cpu.brand}, ${sys.cpu.cores} threads`, NOT_REQUIRED, '', `${sys.os.distro} ${sys.os.release} (${sys.os.platform} ${sys.os.arch}, kernel ${sys.os.kernel})`)
      : make('system.cpu', 'CPU', 'system', 'warn', 'unknown', NOT_REQUIRED, 'The system could not be read; see the log.'),
  );
  {
    const required = req.ramGiB !== undefined ? `≥ ${req.ramGiB} GiB` : NOT_REQUIRED;
    if (!sys) checks.push(make('ram.total', 'Memory (RAM)', 'system', req.ramGiB ? 'warn' : 'skip', 'unknown', required, 'The memory size could not be read.'));
    else {
      const ok = req.ramGiB === undefined || sys.memory.totalBytes >= req.ramGiB * GIB * RAM_TOLERANCE;
      checks.push(make('ram.total', 'Memory (RAM)', 'system', ok ? 'pass' : 'fail', `${formatBytes(sys.memory.totalBytes)} (${formatBytes(sys.memory.availableBytes)} available)`, required, `Add memory: the run needs ${req.ramGiB} GiB to stage checkpoints and gathered updates.`));
    }
  }
  {
    const required = req.diskFreeGiB !== undefined ? `≥ ${req.diskFreeGiB} GiB free` : NOT_REQUIRED;
    const free = sys?.disk.freeBytes ?? null;
    if (free === null) checks.push(make('disk.free', 'Free disk on the data folder', 'disk', req.diskFreeGiB ? 'warn' : 'skip', 'unknown', required, 'The free space of the data folder could not be read.'));
    else {
      const ok = req.diskFreeGiB === undefined || free >= req.diskFreeGiB * GIB;
      checks.push(make('disk.free', 'Free disk on the data folder', 'disk', ok ? 'pass' : 'fail', `${formatBytes(free)} free at ${sys!.disk.path}`, required, `Free up space, or move the data folder to a larger disk (set TANDEM_HOME): checkpoints and data shards need ${req.diskFreeGiB} GiB.`));
    }
  }
  {
    const where = sys ? [sys.virtualization.container && `${sys.virtualization.container} container`, sys.virtualization.vm && `${sys.virtualization.vm} VM`].filter(Boolean).join(', ') || 'bare metal' : 'unknown';
    checks.push(make('system.virtualization', 'Container / virtual machine', 'system', 'pass', where, NOT_REQUIRED, '', 'Informational: in a container, GPUs need the NVIDIA Container Toolkit; in a VM, PCIe pass-through.'));
  }

  checks.push(...networkChecks(input));
  return checks;
}

function networkChecks(input: CheckInput): Check[] {
  const req = input.requirements;
  const net = input.network;
  const storage = net?.storage ?? null;
  const out: Check[] = [];
  const skipped = (id: CheckId, title: string, required: string) => make(id, title, 'network', 'skip', 'skipped (--skip-network)', required, '');
  const notMeasured = (id: CheckId, title: string, required: string, wanted: boolean) =>
    make(
      id,
      title,
      'network',
      wanted ? 'warn' : 'skip',
      'not measured',
      required,
      'Set up your bucket in Settings → Storage (or `tandem storage set`) and unlock its keys, or set TANDEM_STORAGE_ENDPOINT, TANDEM_STORAGE_BUCKET, TANDEM_STORAGE_ACCESS_KEY_ID and TANDEM_STORAGE_SECRET_ACCESS_KEY, so the link can be measured.',
      net?.errors.join('; ') || undefined,
    );
  const bandwidth = (id: CheckId, title: string, bytesPerSecond: number | undefined, requiredMbps: number | undefined, remediation: string) => {
    const required = requiredMbps !== undefined ? `≥ ${requiredMbps} Mb/s` : NOT_REQUIRED;
    if (input.networkSkipped) return skipped(id, title, required);
    if (bytesPerSecond === undefined) return notMeasured(id, title, required, requiredMbps !== undefined);
    const mbps = (bytesPerSecond * 8) / 1e6;
    const status: CheckStatus = requiredMbps === undefined || mbps >= requiredMbps ? 'pass' : mbps >= requiredMbps * BANDWIDTH_WARN_SHARE ? 'warn' : 'fail';
    return make(id, title, 'network', status, `${formatMbps(bytesPerSecond)} (${storage!.streams} streams)`, required, remediation);
  };

  {
    const required = req.maxStorageLatencyMs !== undefined ? `≤ ${req.maxStorageLatencyMs} ms` : NOT_REQUIRED;
    if (input.networkSkipped) out.push(skipped('net.storage-latency', 'Round trip to storage', required));
    else if (!storage) out.push(notMeasured('net.storage-latency', 'Round trip to storage', required, req.maxStorageLatencyMs !== undefined));
    else {
      const ok = req.maxStorageLatencyMs === undefined || storage.latencyMs <= req.maxStorageLatencyMs;
      out.push(make('net.storage-latency', 'Round trip to storage', 'network', ok ? 'pass' : 'warn', `${storage.latencyMs.toFixed(1)} ms to ${storage.endpoint}`, required, 'Storage is far away: pick a bucket region near you, or use a wired connection.'));
    }
  }
  out.push(
    bandwidth('net.upload', 'Upload speed to storage', storage?.uploadBytesPerSecond, req.uploadMbps, 'Your upload is slower than the run needs: use a wired connection, pause other uploads, or ask your ISP for a faster upstream.'),
    bandwidth('net.download', 'Download speed from storage', storage?.downloadBytesPerSecond, req.downloadMbps, 'Your download is slower than the run needs to gather the other peers\u2019 updates in time: use a wired connection or a faster plan.'),
  );
  {
    const round = input.round;
    const required = round ? `upload within ${round.deadlineSeconds} s of the window's end` : 'upload before the deadline';
    if (input.networkSkipped) out.push(skipped('net.deadline', 'Update upload meets the deadline', required));
    else if (!round || round.uploadSeconds === null) out.push(make('net.deadline', 'Update upload meets the deadline', 'network', 'skip', 'not measured', required, '', 'Needs a measured upload speed and the run\u2019s model.'));
    else {
      const share = round.uploadSeconds / round.deadlineSeconds;
      const status: CheckStatus = share <= DEADLINE_WARN_SHARE ? 'pass' : share <= 1 ? 'warn' : 'fail';
      out.push(
        make(
          'net.deadline',
          'Update upload meets the deadline',
          'network',
          status,
          `${round.uploadSeconds.toFixed(1)} s for ${formatBytes(round.payloadBytes)}`,
          required,
          status === 'warn'
            ? 'The upload uses most of the deadline: a slow moment will make this peer miss rounds. A faster upstream gives margin.'
            : 'Your updates would land after the deadline and score zero: this run needs a faster upstream link.',
          round.computeShare !== null ? `About ${(round.computeShare * 100).toFixed(1)} % of each ${Math.round(round.windowSeconds / 60)}-minute round left for compute after communication.` : undefined,
        ),
      );
    }
  }
  {
    const chain = net?.chain ?? null;
    if (input.networkSkipped) out.push(skipped('net.chain-latency', 'Round trip to the chain', NOT_REQUIRED));
    else if (!chain) {
      const error = net?.errors.find((e) => e.startsWith('chain'));
      out.push(
        error
          ? make('net.chain-latency', 'Round trip to the chain', 'network', 'warn', 'unreachable', `≤ ${CHAIN_LATENCY_WARN_MS} ms`, 'Check your connection and the network setting (Settings → Network).', error)
          : make('net.chain-latency', 'Round trip to the chain', 'network', 'skip', 'not measured', NOT_REQUIRED, '', 'The devnet chain runs inside the app.'),
      );
    } else {
      out.push(make('net.chain-latency', 'Round trip to the chain', 'network', chain.latencyMs <= CHAIN_LATENCY_WARN_MS ? 'pass' : 'warn', `${chain.latencyMs.toFixed(1)} ms to ${chain.endpoint}`, `≤ ${CHAIN_LATENCY_WARN_MS} ms`, 'The chain endpoint is slow to answer: choose a closer subtensor node (Settings → Network).'));
    }
  }
  return out;
}

/** Overall status: fail if any fail, warn if any warn, else pass (skips do not count). */
export function summarize(checks: Check[]) {
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const fail = count('fail');
  const warn = count('warn');
  return { overall: fail > 0 ? ('fail' as const) : warn > 0 ? ('warn' as const) : ('pass' as const), pass: count('pass'), warn, fail, skip: count('skip') };
}

/** Exit code of `tandem doctor`: 0 pass, 1 warn, 2 fail. */
export function exitCodeFor(overall: 'pass' | 'warn' | 'fail'): 0 | 1 | 2 {
  return overall === 'fail' ? 2 : overall === 'warn' ? 1 : 0;
}

