import type { GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { emptyGpu, finish, noGpus, warningsIn, withComputeCapability } from './nvidia-smi-detection';
import { unparsable } from './nvidia-smi-failures';
import { mibValue, numberValue, onOffValue, textValue, versionValue } from './values';

/**
 * `nvidia-smi -q` as text: what users paste when the XML form is not at hand,
 * the same facts as an indented `Key : value` tree.
 */

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
