import type { GpuDetection } from '../../../contract/domains/hardware';
import { noGpus } from './nvidia-smi-detection';
import { diagnoseFailure, unparsable, type CommandOutput } from './nvidia-smi-failures';
import { parseNvidiaSmiList } from './nvidia-smi-list';
import { parseNvidiaSmiQuery } from './nvidia-smi-query-text';
import { parseNvidiaSmiTable } from './nvidia-smi-table';
import { parseQueryGpuCsv } from './nvidia-smi-csv';
import { parseNvidiaSmiXml } from './nvidia-smi-xml';

/**
 * Pure parsers for everything nvidia-smi prints: `-q -x` (nvidia-smi-xml),
 * `-q` (nvidia-smi-query-text), the default table (nvidia-smi-table), `-L`
 * (nvidia-smi-list), `--query-gpu … --format=csv` (nvidia-smi-csv), and its
 * failure messages (nvidia-smi-failures). None of them throws: output they
 * cannot read becomes a named Diagnosis with the GPU list empty. This file
 * tells which format it was given.
 */

/**
 * Reads whatever nvidia-smi printed, and how it exited, into a detection:
 * GPUs where there are some, a named diagnosis where there are none. Never throws.
 */
export function parseNvidiaSmiOutput(output: CommandOutput): GpuDetection {
  try {
    const text = output.stdout;
    if (/<nvidia_smi_log[\s>]/.test(text)) return parseNvidiaSmiXml(text);
    const failure = diagnoseFailure(output);
    if (/^GPU [0-9A-Fa-f]{4,}:[0-9A-Fa-f]{2}:/m.test(text) || /NVSMI LOG/.test(text)) return parseNvidiaSmiQuery(text);
    if (/\|\s*NVIDIA-SMI\s/.test(text)) return parseNvidiaSmiTable(text);
    if (/^GPU \d+: .+\(UUID:/m.test(text)) return parseNvidiaSmiList(text);
    if (/^\s*(index|name|timestamp)\b[^\n]*,/i.test(text) && failure === null) return parseQueryGpuCsv(text);
    return noGpus(failure ?? unparsable('unrecognised nvidia-smi output', `${text}\n${output.stderr}`));
  } catch (error) {
    return noGpus(unparsable(`parser error ${(error as Error).message}`, output.stdout));
  }
}
