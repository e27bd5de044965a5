import { XMLParser } from 'fast-xml-parser';
import type { GpuDetection, GpuInfo } from '../../../contract/domains/hardware';
import { emptyGpu, finish, noGpus, warningsIn, withComputeCapability } from './nvidia-smi-detection';
import { diagnoseFailure, unparsable } from './nvidia-smi-failures';
import { mibValue, numberValue, onOffValue, textValue, versionValue } from './values';

/** `nvidia-smi -q -x`: the fullest report nvidia-smi gives, and the one tried first. */

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
