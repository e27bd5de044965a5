import type { GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { emptyGpu, finish, noGpus, withComputeCapability } from './nvidia-smi-detection';
import { diagnoseFailure, unparsable } from './nvidia-smi-failures';

/** Parses `nvidia-smi -L` (`GPU 0: NAME (UUID: GPU-…)` plus indented MIG lines). */
export function parseNvidiaSmiList(text: string): GpuDetection {
  const gpus: GpuInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const gpu = /^GPU (\d+): (.+?) \(UUID: ([^)]+)\)/.exec(line);
    if (gpu) {
      gpus.push(withComputeCapability({ ...emptyGpu(Number(gpu[1]), gpu[2]!.trim()), uuid: gpu[3]!.trim() }));
      continue;
    }
    const mig = /^\s+MIG (\S+)\s+Device\s+(\d+):/.exec(line);
    const last = gpus[gpus.length - 1];
    if (mig && last) {
      const size = /(\d+)gb$/i.exec(mig[1]!);
      last.migMode = 'enabled';
      last.migDevices.push({ index: Number(mig[2]), profile: mig[1]!, memoryTotalMiB: size ? Number(size[1]) * 1024 : null });
    }
  }
  if (gpus.length === 0) return noGpus(diagnoseFailure({ stdout: text, stderr: '', exitCode: 1 }) ?? unparsable('no GPU lines in nvidia-smi -L output', text));
  return finish('nvidia-smi-text', gpus, { attachedGpus: null, driverVersion: null, cudaVersion: null }, []);
}
