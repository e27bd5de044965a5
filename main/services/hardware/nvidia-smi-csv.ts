import type { GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { emptyGpu, finish, noGpus, withComputeCapability } from './nvidia-smi-detection';
import { diagnoseFailure, unparsable } from './nvidia-smi-failures';
import { mibValue, numberValue, onOffValue, textValue, versionValue } from './values';

/** Splits `--format=csv` output into rows keyed by field name (header units such as ' [MiB]' dropped). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines[0];
  if (!header) return [];
  const names = header.split(',').map((h) => h.trim().replace(/\s*\[[^\]]*\]$/, ''));
  return lines.slice(1).map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    const row: Record<string, string> = {};
    names.forEach((name, i) => (row[name] = cells[i] ?? ''));
    return row;
  });
}

/** GPUs from a `--query-gpu=… --format=csv` table that has at least name (and ideally memory.total, compute_cap). */
export function parseQueryGpuCsv(text: string): GpuDetection {
  const rows = parseCsv(text).filter((r) => r['name'] !== undefined);
  if (rows.length === 0) return noGpus(diagnoseFailure({ stdout: text, stderr: '', exitCode: 1 }) ?? unparsable('no GPU rows in the CSV', text));
  const gpus = rows.map((r, i) => {
    const gpu: GpuInfo = {
      ...emptyGpu(numberValue(r['index']) ?? i, textValue(r['name']) ?? 'Unknown NVIDIA GPU'),
      uuid: textValue(r['uuid']),
      busId: textValue(r['pci.bus_id']),
      vramTotalMiB: mibValue(r['memory.total']),
      vramFreeMiB: mibValue(r['memory.free']),
      driverVersion: versionValue(r['driver_version']),
      pcieGeneration: numberValue(r['pcie.link.gen.current']),
      pcieGenerationMax: numberValue(r['pcie.link.gen.max']),
      pcieWidth: numberValue(r['pcie.link.width.current']),
      pcieWidthMax: numberValue(r['pcie.link.width.max']),
      temperatureC: numberValue(r['temperature.gpu']),
      powerLimitW: numberValue(r['enforced.power.limit']) ?? numberValue(r['power.limit']),
      powerDrawW: numberValue(r['power.draw']),
      migMode: onOffValue(r['mig.mode.current']),
      persistenceMode: onOffValue(r['persistence_mode']),
    };
    return withComputeCapability(gpu, textValue(r['compute_cap']));
  });
  const driverVersion = gpus[0]?.driverVersion ?? null;
  return finish('nvidia-smi-text', gpus, { attachedGpus: numberValue(rows[0]?.['count']), driverVersion, cudaVersion: null }, []);
}
