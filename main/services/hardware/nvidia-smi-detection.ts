import type { Diagnosis, GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { inferComputeCapability } from './compute-capability';

/**
 * What every nvidia-smi parser shares once it has its GPUs: a blank GPU to
 * fill in, the compute capability (reported or inferred from the name), and
 * the finished detection with the warnings that hold whatever format was read
 * (a corrupted infoROM, a board the driver does not know, MIG, vGPU, GPUs
 * attached but not described).
 */

export function emptyGpu(index: number, name: string): GpuInfo {
  return {
    index,
    name,
    uuid: null,
    busId: null,
    architecture: null,
    vramTotalMiB: null,
    vramFreeMiB: null,
    driverVersion: null,
    cudaVersion: null,
    computeCapability: null,
    computeCapabilitySource: null,
    pcieGeneration: null,
    pcieGenerationMax: null,
    pcieWidth: null,
    pcieWidthMax: null,
    temperatureC: null,
    powerLimitW: null,
    powerDrawW: null,
    migMode: null,
    migDevices: [],
    persistenceMode: null,
    virtualizationMode: null,
  };
}

export function withComputeCapability(gpu: GpuInfo, reported: string | null = null): GpuInfo {
  if (reported) return { ...gpu, computeCapability: reported, computeCapabilitySource: 'reported' };
  const inferred = inferComputeCapability(gpu.name, gpu.architecture);
  return { ...gpu, computeCapability: inferred, computeCapabilitySource: inferred ? 'inferred' : null };
}

export function warningsIn(text: string): Diagnosis[] {
  const found: Diagnosis[] = [];
  for (const match of text.matchAll(/^WARNING: infoROM is corrupted at gpu (\S+)/gim)) {
    found.push({
      code: 'inforom-warning',
      severity: 'warn',
      title: 'infoROM is corrupted',
      detail: `nvidia-smi reports a corrupted infoROM on GPU ${match[1]}; the GPU still works but ECC and power bookkeeping may be wrong.`,
      remediation: 'Ask the board vendor or cloud provider for an infoROM reflash; watch this GPU for errors.',
    });
  }
  return found;
}

function perGpuDiagnoses(gpus: GpuInfo[]): Diagnosis[] {
  const found: Diagnosis[] = [];
  for (const gpu of gpus) {
    if (/^graphics device$/i.test(gpu.name)) {
      found.push({
        code: 'unknown-board-name',
        severity: 'warn',
        title: `GPU ${gpu.index} reports no board name`,
        detail: `The driver calls GPU ${gpu.index} "${gpu.name}": it is older than this board, so its capabilities cannot be told from its name.`,
        remediation: 'Update the NVIDIA driver to a version that knows this board.',
      });
    }
    if (gpu.migMode === 'enabled') {
      found.push({
        code: 'mig-enabled',
        severity: 'warn',
        title: `GPU ${gpu.index} is split into MIG instances`,
        detail: `MIG is on with ${gpu.migDevices.length} instance(s); training sees each instance as a small separate GPU.`,
        remediation: `Disable MIG to train on the whole GPU: \`sudo nvidia-smi -i ${gpu.index} -mig 0\`, then reset the GPU or reboot.`,
      });
    }
    if (gpu.virtualizationMode?.toUpperCase() === 'VGPU') {
      found.push({
        code: 'vgpu-guest',
        severity: 'warn',
        title: `GPU ${gpu.index} is a virtual GPU slice`,
        detail: `"${gpu.name}" is a vGPU profile shared with other virtual machines; its memory and speed are a fraction of the physical board.`,
        remediation: 'Use a machine with a whole GPU (bare metal or PCIe pass-through).',
      });
    }
  }
  return found;
}

export function finish(
  source: GpuDetection['source'],
  gpus: GpuInfo[],
  meta: { attachedGpus: number | null; driverVersion: string | null; cudaVersion: string | null },
  extra: Diagnosis[],
): GpuDetection {
  const diagnoses = [...extra, ...perGpuDiagnoses(gpus)];
  if (meta.attachedGpus !== null && meta.attachedGpus > gpus.length) {
    diagnoses.push({
      code: 'partial-document',
      severity: 'warn',
      title: 'nvidia-smi output is incomplete',
      detail: `nvidia-smi reports ${meta.attachedGpus} attached GPUs but describes only ${gpus.length}.`,
      remediation: 'Run the check again; if it repeats, run `nvidia-smi -q` and look for a GPU reporting errors.',
    });
  }
  return { source, gpus, attachedGpus: meta.attachedGpus, driverVersion: meta.driverVersion, cudaVersion: meta.cudaVersion, diagnoses };
}

export function noGpus(diagnosis: Diagnosis): GpuDetection {
  return { source: 'none', gpus: [], attachedGpus: null, driverVersion: null, cudaVersion: null, diagnoses: [diagnosis] };
}
