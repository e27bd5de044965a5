import type { GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { emptyGpu, finish, noGpus, warningsIn, withComputeCapability } from './nvidia-smi-detection';
import { unparsable } from './nvidia-smi-failures';
import { onOffValue, versionValue } from './values';

/** Parses the default `nvidia-smi` table (names there may be cut short with '...'). */
export function parseNvidiaSmiTable(text: string): GpuDetection {
  const header = /NVIDIA-SMI\s+(\S+)\s+(?:Driver|KMD) Version:\s+(\S+)\s+CUDA(?: UMD)? Version:\s+(\S+)/.exec(text);
  const driverVersion = header ? versionValue(header[2]) : null;
  const cudaVersion = header ? versionValue(header[3]) : null;
  const lines = text.split(/\r?\n/);
  const gpus: GpuInfo[] = [];
  let inMigTable = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/MIG devices:|Processes:/.test(line)) inMigTable = true;
    if (/^\|\s*GPU\s+Name/.test(line)) inMigTable = false;
    if (inMigTable) continue;
    const first = /^\|\s+(\d+)\s+(.+?)\s+(On|Off|N\/A|WDDM|TCC|MCDM)\s*\|\s*([0-9A-Fa-f]{4,}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s/.exec(line);
    if (!first) continue;
    const second = lines[i + 1] ?? '';
    const memory = /\|\s*(\d+)MiB\s*\/\s*(\d+)MiB\s*\|/.exec(second);
    const temp = /^\|\s*\S+\s+(\d+)C\s/.exec(second);
    const power = /(\d+)W\s*\/\s*(\d+)W/.exec(second);
    const third = lines[i + 2] ?? '';
    const mig = /\|\s*(Enabled|Disabled)\s*\|\s*$/.exec(third);
    const total = memory ? Number(memory[2]) : null;
    const used = memory ? Number(memory[1]) : null;
    const gpu: GpuInfo = {
      ...emptyGpu(Number(first[1]), first[2]!.trim()),
      busId: first[4]!,
      vramTotalMiB: total,
      vramFreeMiB: total !== null && used !== null ? total - used : null,
      driverVersion,
      cudaVersion,
      temperatureC: temp ? Number(temp[1]) : null,
      powerDrawW: power ? Number(power[1]) : null,
      powerLimitW: power ? Number(power[2]) : null,
      persistenceMode: onOffValue(first[3]),
      migMode: mig ? onOffValue(mig[1]) : null,
    };
    gpus.push(withComputeCapability(gpu));
  }
  if (gpus.length === 0) return noGpus(unparsable('no GPU rows in the nvidia-smi table', text));
  return finish('nvidia-smi-text', gpus, { attachedGpus: null, driverVersion, cudaVersion }, warningsIn(text));
}
