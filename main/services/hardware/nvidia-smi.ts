import { XMLParser } from 'fast-xml-parser';
import type { Diagnosis, GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { inferComputeCapability } from './compute-capability';
import { mibValue, numberValue, onOffValue, textValue, versionValue } from './values';

/**
 * Pure parsers for everything nvidia-smi prints: `-q -x` (XML), `-q` (text),
 * the default table, `-L`, `--query-gpu … --format=csv`, and its failure
 * messages. None of them throws: output they cannot read becomes a named
 * {@link Diagnosis} with the GPU list empty.
 */

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** null when the process could not be started or was killed. */
  exitCode: number | null;
  /** e.g. 'ENOENT' when the binary is missing, 'ETIMEDOUT' when it was killed for taking too long. */
  errorCode?: string;
}

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

function withComputeCapability(gpu: GpuInfo, reported: string | null = null): GpuInfo {
  if (reported) return { ...gpu, computeCapability: reported, computeCapabilitySource: 'reported' };
  const inferred = inferComputeCapability(gpu.name, gpu.architecture);
  return { ...gpu, computeCapability: inferred, computeCapabilitySource: inferred ? 'inferred' : null };
}

const REMEDIATION = {
  install: 'Install the NVIDIA driver for your GPU (it provides nvidia-smi), then reboot and run the check again.',
};

/** Names the failure behind nvidia-smi output that holds no GPU data; null when nothing failed. */
export function diagnoseFailure(output: CommandOutput): Diagnosis | null {
  const text = `${output.stdout}\n${output.stderr}`;
  if (output.errorCode === 'ENOENT' || output.exitCode === 127 || /command not found|is not recognized as an internal/i.test(text)) {
    return {
      code: 'nvidia-smi-missing',
      severity: 'error',
      title: 'nvidia-smi is not installed',
      detail: 'The nvidia-smi program was not found on the PATH, so no NVIDIA driver seems to be installed.',
      remediation: REMEDIATION.install,
    };
  }
  if (output.errorCode === 'ETIMEDOUT') {
    return {
      code: 'nvidia-smi-timeout',
      severity: 'error',
      title: 'nvidia-smi did not answer in time',
      detail: 'nvidia-smi hung; this happens when a GPU has fallen off the bus or the driver is wedged.',
      remediation: 'Check `dmesg` for Xid errors, then reboot the machine. If it keeps happening, reseat the GPU or check its power cables.',
    };
  }
  if (/couldn't communicate with the NVIDIA driver/i.test(text)) {
    return {
      code: 'driver-not-loaded',
      severity: 'error',
      title: 'NVIDIA-SMI has failed: the driver is not loaded',
      detail: firstLine(text),
      remediation:
        'The kernel module is not running. Reboot; if that does not help, reinstall the driver for your running kernel (after a kernel update the module must be rebuilt, e.g. via DKMS) and check that Secure Boot is not blocking it.',
    };
  }
  if (/Driver\/library version mismatch/i.test(text)) {
    const lib = /NVML library version:\s*([0-9.]+)/i.exec(text)?.[1];
    return {
      code: 'driver-library-mismatch',
      severity: 'error',
      title: 'Driver/library version mismatch',
      detail: `The NVIDIA user-space libraries${lib ? ` (NVML ${lib})` : ''} were upgraded but the old kernel module is still loaded.`,
      remediation: 'Reboot the machine so the kernel module matches the upgraded libraries.',
    };
  }
  if (/couldn't find libnvidia-ml/i.test(text)) {
    return {
      code: 'nvml-library-missing',
      severity: 'error',
      title: 'libnvidia-ml.so is missing',
      detail: firstLine(text),
      remediation: 'Reinstall the NVIDIA driver (the NVML library comes with it); in a container, run it with the NVIDIA Container Toolkit (`--gpus all`).',
    };
  }
  if (/No devices were found/i.test(text)) {
    return {
      code: 'no-devices',
      severity: 'error',
      title: 'No NVIDIA devices were found',
      detail: 'The driver is loaded but sees no GPU.',
      remediation:
        'In a container, start it with `--gpus all` (NVIDIA Container Toolkit). Check CUDA_VISIBLE_DEVICES and cgroup device rules; on bare metal check `lspci | grep -i nvidia` and `dmesg` for a GPU that fell off the bus.',
    };
  }
  if (/Failed to initialize NVML: Unknown Error/i.test(text)) {
    return {
      code: 'nvml-unknown-error',
      severity: 'error',
      title: 'Failed to initialize NVML: Unknown Error',
      detail: 'NVML could not open the GPU devices. In containers this follows a `systemctl daemon-reload` on cgroup v2 hosts.',
      remediation: 'Restart the container (or the machine). For good, set up the NVIDIA Container Toolkit with the cgroup driver it documents.',
    };
  }
  if (output.exitCode !== 0 || output.errorCode) {
    return {
      code: 'nvidia-smi-failed',
      severity: 'error',
      title: `nvidia-smi failed${output.exitCode !== null ? ` (exit ${output.exitCode})` : ''}`,
      detail: firstLine(text) || 'no output',
      remediation: 'Run `nvidia-smi` in a terminal to see the error; reinstall the driver if it persists.',
    };
  }
  return null;
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

function warningsIn(text: string): Diagnosis[] {
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

function finish(
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

function noGpus(diagnosis: Diagnosis): GpuDetection {
  return { source: 'none', gpus: [], attachedGpus: null, driverVersion: null, cudaVersion: null, diagnoses: [diagnosis] };
}

function unparsable(what: string, sample: string): Diagnosis {
  return {
    code: 'unparsable-output',
    severity: 'error',
    title: 'nvidia-smi printed something Tandem cannot read',
    detail: `${what}: ${firstLine(sample).slice(0, 200) || 'empty output'}`,
    remediation: 'Run `nvidia-smi -q` in a terminal; if it shows your GPUs, report this output to the Tandem developers.',
  };
}

// ---------------------------------------------------------------- XML (-q -x)

type XmlNode = Record<string, unknown>;

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'gpu' || name === 'mig_device',
});

function at(node: unknown, ...path: string[]): unknown {
  let current: unknown = node;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as XmlNode)[key];
  }
  return current;
}

/** Parses `nvidia-smi -q -x`. */
export function parseNvidiaSmiXml(xml: string): GpuDetection {
  let doc: XmlNode;
  try {
    doc = xmlParser.parse(xml) as XmlNode;
  } catch (error) {
    return noGpus(unparsable(`XML error ${(error as Error).message}`, xml));
  }
  const log = doc['nvidia_smi_log'];
  if (!log || typeof log !== 'object') return noGpus(unparsable('no <nvidia_smi_log> element', xml));
  const driverVersion = versionValue(at(log, 'driver_version'));
  const cudaVersion = versionValue(at(log, 'cuda_version'));
  const attachedGpus = numberValue(at(log, 'attached_gpus'));
  const gpuNodes = (at(log, 'gpu') as XmlNode[] | undefined) ?? [];
  const gpus = gpuNodes.map((node, index) => {
    const name = textValue(at(node, 'product_name')) ?? 'Unknown NVIDIA GPU';
    const migNodes = at(node, 'mig_devices', 'mig_device');
    const migDevices = Array.isArray(migNodes)
      ? (migNodes as XmlNode[]).map((m, i) => ({
          index: numberValue(at(m, 'index')) ?? i,
          profile: null,
          memoryTotalMiB: mibValue(at(m, 'fb_memory_usage', 'total')),
        }))
      : [];
    const power = (at(node, 'gpu_power_readings') ?? at(node, 'power_readings')) as XmlNode | undefined;
    const gpu: GpuInfo = {
      ...emptyGpu(index, name),
      uuid: textValue(at(node, 'uuid')),
      busId: textValue(at(node, '@_id')) ?? textValue(at(node, 'pci', 'pci_bus_id')),
      architecture: textValue(at(node, 'product_architecture')),
      vramTotalMiB: mibValue(at(node, 'fb_memory_usage', 'total')),
      vramFreeMiB: mibValue(at(node, 'fb_memory_usage', 'free')),
      driverVersion,
      cudaVersion,
      pcieGeneration: numberValue(at(node, 'pci', 'pci_gpu_link_info', 'pcie_gen', 'current_link_gen')),
      pcieGenerationMax: numberValue(at(node, 'pci', 'pci_gpu_link_info', 'pcie_gen', 'max_link_gen')),
      pcieWidth: numberValue(at(node, 'pci', 'pci_gpu_link_info', 'link_widths', 'current_link_width')),
      pcieWidthMax: numberValue(at(node, 'pci', 'pci_gpu_link_info', 'link_widths', 'max_link_width')),
      temperatureC: numberValue(at(node, 'temperature', 'gpu_temp')),
      powerLimitW: numberValue(at(power, 'current_power_limit')) ?? numberValue(at(power, 'enforced_power_limit')) ?? numberValue(at(power, 'power_limit')),
      powerDrawW: numberValue(at(power, 'instant_power_draw')) ?? numberValue(at(power, 'power_draw')) ?? numberValue(at(power, 'average_power_draw')),
      migMode: onOffValue(at(node, 'mig_mode', 'current_mig')),
      migDevices,
      persistenceMode: onOffValue(at(node, 'persistence_mode')),
      virtualizationMode: textValue(at(node, 'gpu_virtualization_mode', 'virtualization_mode')),
    };
    return withComputeCapability(gpu);
  });
  if (gpus.length === 0 && (attachedGpus ?? 0) === 0) {
    return finish('nvidia-smi-xml', [], { attachedGpus, driverVersion, cudaVersion }, [diagnoseFailure({ stdout: 'No devices were found', stderr: '', exitCode: 6 })!]);
  }
  return finish('nvidia-smi-xml', gpus, { attachedGpus, driverVersion, cudaVersion }, warningsIn(xml));
}

// ---------------------------------------------------------------- text (-q)

export interface TextNode {
  key: string;
  value: string | null;
  children: TextNode[];
}

/** Turns indented `Key : value` lines into a tree; headers are keys without a value. */
export function parseIndentedTree(text: string): TextNode {
  const root: TextNode = { key: '', value: null, children: [] };
  const stack: Array<{ indent: number; node: TextNode }> = [{ indent: -1, node: root }];
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || /^=+.*=+$/.test(raw.trim())) continue;
    const indent = raw.length - raw.trimStart().length;
    const match = /^(.*?\S)\s+:(?:\s(.*))?$/.exec(raw.trim());
    const node: TextNode = match ? { key: match[1]!.trim(), value: (match[2] ?? '').trim(), children: [] } : { key: raw.trim(), value: null, children: [] };
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ indent, node });
  }
  return root;
}

function child(node: TextNode | undefined, ...path: string[]): TextNode | undefined {
  let current = node;
  for (const key of path) {
    const wanted = key.toLowerCase();
    current = current?.children.find((c) => c.key.toLowerCase() === wanted);
  }
  return current;
}

function val(node: TextNode | undefined, ...path: string[]): string | null {
  return child(node, ...path)?.value ?? null;
}

/** Parses `nvidia-smi -q` text (one machine's log; GPUs are the `GPU <bus id>` headers). */
export function parseNvidiaSmiQuery(text: string): GpuDetection {
  const tree = parseIndentedTree(text);
  const driverVersion = versionValue(val(tree, 'KMD Version')) ?? versionValue(val(tree, 'Driver Version'));
  const cudaVersion = versionValue(val(tree, 'CUDA UMD Version')) ?? versionValue(val(tree, 'CUDA Version'));
  const attachedGpus = numberValue(val(tree, 'Attached GPUs'));
  const gpuNodes = tree.children.filter((c) => c.value === null && /^GPU [0-9A-Fa-f]{4,}:/.test(c.key));
  if (gpuNodes.length === 0 && driverVersion === null) return noGpus(unparsable('no GPU sections in nvidia-smi -q output', text));
  const gpus = gpuNodes.map((node, index) => {
    const power = child(node, 'GPU Power Readings') ?? child(node, 'Power Readings');
    const link = child(node, 'PCI', 'GPU Link Info');
    const migDevices = node.children
      .filter((c) => c.key === 'MIG Device')
      .map((m, i) => ({
        index: numberValue(val(m, 'Index')) ?? i,
        profile: null,
        memoryTotalMiB: mibValue(val(m, 'Shared FB Memory Usage', 'Total') ?? val(m, 'FB Memory Usage', 'Total')),
      }));
    const gpu: GpuInfo = {
      ...emptyGpu(index, textValue(val(node, 'Product Name')) ?? 'Unknown NVIDIA GPU'),
      uuid: textValue(val(node, 'GPU UUID')),
      busId: node.key.slice(4).trim(),
      architecture: textValue(val(node, 'Product Architecture')),
      vramTotalMiB: mibValue(val(node, 'FB Memory Usage', 'Total')),
      vramFreeMiB: mibValue(val(node, 'FB Memory Usage', 'Free')),
      driverVersion,
      cudaVersion,
      pcieGeneration: numberValue(val(link, 'PCIe Generation', 'Current')),
      pcieGenerationMax: numberValue(val(link, 'PCIe Generation', 'Max')),
      pcieWidth: numberValue(val(link, 'Link Width', 'Current')),
      pcieWidthMax: numberValue(val(link, 'Link Width', 'Max')),
      temperatureC: numberValue(val(node, 'Temperature', 'GPU Current Temp')),
      powerLimitW: numberValue(val(power, 'Current Power Limit')) ?? numberValue(val(power, 'Enforced Power Limit')) ?? numberValue(val(power, 'Power Limit')),
      powerDrawW: numberValue(val(power, 'Instantaneous Power Draw')) ?? numberValue(val(power, 'Power Draw')) ?? numberValue(val(power, 'Average Power Draw')),
      migMode: onOffValue(val(node, 'MIG Mode', 'Current')),
      migDevices,
      persistenceMode: onOffValue(val(node, 'Persistence Mode')),
      virtualizationMode: textValue(val(node, 'GPU Virtualization Mode', 'Virtualization Mode')),
    };
    return withComputeCapability(gpu);
  });
  return finish('nvidia-smi-text', gpus, { attachedGpus, driverVersion, cudaVersion }, warningsIn(text));
}

// ---------------------------------------------------------------- default table

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

// ---------------------------------------------------------------- -L

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

// ---------------------------------------------------------------- CSV

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

// ---------------------------------------------------------------- any output

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
