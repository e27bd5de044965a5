import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import {
  HARDWARE_CHECKS_VERSION,
  HARDWARE_REPORT_SCHEMA,
  type GpuDetection,
  type HardwareProgress,
  type HardwareReport,
  type NetworkMeasurement,
  type RequirementsPreset,
  type SystemInfo,
} from '../../../contract/domains/hardware';
import { parseManifestText } from '../../ports/run-manifest';
import { evaluateChecks, summarize } from './checks';
import { detectGpus, detectSystem } from './detect';
import { DEVNET_MODEL, estimateMemoryFit, estimateRound, LLAMA_1B, LLAMA_72B, parameterCount, type ModelShape } from './memory-fit';
import { chainEndpoint, probeStorage, tcpLatency, type StorageProbeResult, type StorageProbeTarget } from '../../adapters/storage/link-probe';
import { parseRequirements, presetRequirements, type HardwareRequirements } from './requirements';
import { describeStorageFailure } from '../../adapters/storage/storage-failure';

/** What the checks are run against: the requirements, and the run's model, timing, storage and chain where known. */
export interface RunTarget {
  source: string;
  requirements: HardwareRequirements;
  model: ModelShape | null;
  windows?: { blocksPerWindow: number; blockSeconds: number; uploadDeadlineSeconds: number; gatherPeers: number };
  storage: StorageProbeTarget | null;
  /** Why the saved storage credentials could not be used (locked, missing), shown where the link is "not measured". */
  storageNote?: string;
  chainNetwork: string | null;
}

/** The saved storage credentials' write key for the speed probe, or why they cannot be used now. */
export type SavedStorageProbe = () => Promise<{ target: StorageProbeTarget | null; note: string | null }>;

/** Without storage credentials in the environment, the ones saved with `tandem storage set` (Settings → Storage) are measured. */
export async function withSavedStorage(target: RunTarget, saved: SavedStorageProbe | undefined): Promise<RunTarget> {
  if (target.storage || !saved) return target;
  const found = await saved();
  return { ...target, storage: found.target, ...(found.note ? { storageNote: found.note } : {}) };
}

const PRESET_MODELS: Record<RequirementsPreset, ModelShape> = { default: LLAMA_1B, devnet: DEVNET_MODEL, 'covenant-like': LLAMA_72B };
const PRESET_NAMES: Record<RequirementsPreset, string> = {
  default: 'default GPU run (1 GPU ≥ 24 GiB, LLaMA-1B-size model)',
  devnet: 'devnet (no GPU needed)',
  'covenant-like': 'Covenant-like run (8 GPUs ≥ 178 GiB, 72B model)',
};

/** Storage credentials come from the environment, never from a manifest. */
export function storageFromEnv(env: NodeJS.ProcessEnv, base?: { endpoint: string; bucket: string; region?: string; forcePathStyle?: boolean }): StorageProbeTarget | null {
  const endpoint = env['TANDEM_STORAGE_ENDPOINT'] ?? base?.endpoint;
  const bucket = env['TANDEM_STORAGE_BUCKET'] ?? base?.bucket;
  const accessKeyId = env['TANDEM_STORAGE_ACCESS_KEY_ID'];
  const secretAccessKey = env['TANDEM_STORAGE_SECRET_ACCESS_KEY'];
  if (!endpoint || !bucket || !accessKeyId || !secretAccessKey) return null;
  return { endpoint, bucket, accessKeyId, secretAccessKey, region: base?.region, forcePathStyle: base?.forcePathStyle ?? true };
}

export function presetTarget(preset: RequirementsPreset, options: { env?: NodeJS.ProcessEnv; chainNetwork?: string | null } = {}): RunTarget {
  return {
    source: PRESET_NAMES[preset],
    requirements: presetRequirements(preset),
    model: PRESET_MODELS[preset],
    storage: preset === 'devnet' ? null : storageFromEnv(options.env ?? process.env),
    chainNetwork: preset === 'devnet' ? null : (options.chainNetwork ?? null),
  };
}

/**
 * `--manifest <file|devnet|covenant-like>`: a preset name, a run manifest
 * (its `requirements`, model, window timing, storage and chain), or a bare
 * requirements object. Throws an Error naming the bad field.
 */
export function resolveTarget(spec: string | undefined, options: { env?: NodeJS.ProcessEnv; chainNetwork?: string | null; readFile?: (file: string) => string } = {}): RunTarget {
  if (spec === undefined || spec === 'default') return presetTarget('default', options);
  if (spec === 'devnet' || spec === 'covenant-like') return presetTarget(spec, options);
  const read = options.readFile ?? ((file: string) => fs.readFileSync(file, 'utf8'));
  let text: string;
  try {
    text = read(spec);
  } catch (error) {
    throw new Error(`${spec}: cannot read the manifest (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a file path, or 'devnet'`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${spec}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const looksLikeManifest = raw !== null && typeof raw === 'object' && 'model' in raw && 'version' in raw;
  if (!looksLikeManifest) return { source: spec, requirements: parseRequirements(raw, spec), model: null, storage: null, chainNetwork: null };
  const manifest = parseManifestText(text, spec);
  const s3 = manifest.storage?.kind === 's3' ? manifest.storage : null;
  return {
    source: `${spec} (run "${manifest.name}")`,
    requirements: parseRequirements(manifest.requirements, `${spec}: requirements`),
    model: {
      layers: manifest.model.layers,
      hiddenSize: manifest.model.hiddenSize,
      heads: manifest.model.heads,
      kvHeads: manifest.model.kvHeads,
      ffnSize: manifest.model.ffnSize,
      vocabSize: manifest.model.vocabSize,
      sequenceLength: manifest.model.sequenceLength,
      tiedEmbeddings: manifest.model.tiedEmbeddings,
    },
    windows: {
      blocksPerWindow: manifest.windows.blocksPerWindow,
      blockSeconds: manifest.windows.blockSeconds,
      uploadDeadlineSeconds: manifest.windows.uploadDeadlineSeconds,
      gatherPeers: manifest.windows.gatherPeers,
    },
    storage: s3 ? storageFromEnv(options.env ?? process.env, s3) : null,
    chainNetwork: manifest.chain.network === 'devnet' ? null : manifest.chain.network,
  };
}

/** The measuring side, injected so tests run without a GPU, a network or this machine's disks. */
export interface ReadinessDeps {
  detectGpus(): Promise<GpuDetection>;
  detectSystem(dataDir: string): Promise<SystemInfo>;
  probeStorage(target: StorageProbeTarget): Promise<StorageProbeResult>;
  chainLatency(network: string): Promise<{ endpoint: string; latencyMs: number } | null>;
}

const PROBE_TIMEOUT_MS = 120_000;

export const realDeps: ReadinessDeps = {
  detectGpus: () => detectGpus(),
  detectSystem: (dir) => detectSystem(dir),
  probeStorage: (target) =>
    probeStorage(target, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch((error: unknown) => {
      // Named in words a user can act on (a refused key, no such bucket, DNS, TLS, a timeout).
      const location = { endpoint: target.endpoint, region: target.region ?? 'auto', bucket: target.bucket, forcePathStyle: target.forcePathStyle ?? true };
      throw new Error(describeStorageFailure(error, { key: 'write', accessKeyId: target.accessKeyId, location, timeoutMs: PROBE_TIMEOUT_MS }).message, { cause: error });
    }),
  chainLatency: async (network) => {
    const endpoint = chainEndpoint(network);
    if (!endpoint) return null;
    return { endpoint: endpoint.url, latencyMs: await tcpLatency(endpoint.host, endpoint.port) };
  },
};

export interface ReadinessOptions {
  target: RunTarget;
  skipNetwork: boolean;
  dataDir: string;
  app: { name: string; version: string };
  runId?: string;
  now?: () => number;
  onProgress?: (progress: HardwareProgress) => void;
}

/** Runs every measurement in turn, reporting progress, and returns the report. A failing measurement becomes a finding, not a throw. */
export async function runReadiness(options: ReadinessOptions, deps: ReadinessDeps = realDeps): Promise<HardwareReport> {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? randomUUID();
  const started = now();
  const { target } = options;
  const steps = ['Detecting GPUs', 'Reading CPU, memory and disk', 'Measuring the link to storage', 'Measuring the round trip to the chain', 'Evaluating the checks'];
  let completed = 0;
  const progress = (phase: HardwareProgress['phase'], step: string, extra: Partial<HardwareProgress> = {}) =>
    options.onProgress?.({ runId, phase, step, completed, total: steps.length, ...extra });
  progress('started', steps[0]!);

  const step = async <T>(index: number, work: () => Promise<T>): Promise<T> => {
    progress('step', steps[index]!);
    try {
      return await work();
    } finally {
      completed++;
    }
  };

  const gpu = await step(0, () =>
    deps.detectGpus().catch(
      (error: unknown): GpuDetection => ({
        source: 'none',
        gpus: [],
        attachedGpus: null,
        driverVersion: null,
        cudaVersion: null,
        diagnoses: [{ code: 'nvidia-smi-failed', severity: 'error', title: 'GPU detection failed', detail: String((error as Error)?.message ?? error), remediation: 'Run `nvidia-smi` in a terminal to see the error.' }],
      }),
    ),
  );
  const system = await step(1, () => deps.detectSystem(options.dataDir).catch(() => null));
  const network: NetworkMeasurement | null = options.skipNetwork ? null : { storage: null, chain: null, errors: [] };
  await step(2, async () => {
    if (network && !target.storage && target.storageNote) network.errors.push(`storage: ${target.storageNote}`);
    if (!network || !target.storage) return;
    try {
      network.storage = await deps.probeStorage(target.storage);
    } catch (error) {
      network.errors.push(`storage: ${(error as Error).message}`);
    }
  });
  await step(3, async () => {
    if (!network || !target.chainNetwork) return;
    try {
      network.chain = await deps.chainLatency(target.chainNetwork);
    } catch (error) {
      network.errors.push(`chain: ${(error as Error).message}`);
    }
  });
  progress('step', steps[4]!);

  const wholeGpus = gpu.gpus;
  const smallestVram = wholeGpus.length > 0 ? Math.min(...wholeGpus.map((g) => g.vramTotalMiB ?? 0)) : 0;
  const gpusUsed = Math.min(wholeGpus.length, Math.max(1, target.requirements.gpuCount ?? wholeGpus.length));
  const memoryFit = target.model && wholeGpus.length > 0 ? estimateMemoryFit({ model: target.model, gpus: gpusUsed, vramPerGpuBytes: smallestVram * 1024 * 1024 }) : null;
  const round =
    target.model && network?.storage
      ? estimateRound({
          parameters: parameterCount(target.model),
          uploadBytesPerSecond: network.storage.uploadBytesPerSecond,
          downloadBytesPerSecond: network.storage.downloadBytesPerSecond,
          ...target.windows,
        })
      : null;
  const checks = evaluateChecks({ gpu, system, network, networkSkipped: options.skipNetwork, requirements: target.requirements, memoryFit, round });
  for (const check of checks) progress('check', steps[4]!, { check });
  completed++;
  const summary = summarize(checks);
  const report: HardwareReport = {
    schema: HARDWARE_REPORT_SCHEMA,
    checksVersion: HARDWARE_CHECKS_VERSION,
    runId,
    generatedAt: new Date(now()).toISOString(),
    durationMs: now() - started,
    app: options.app,
    machine: {
      hostname: system?.hostname ?? os.hostname(),
      platform: system?.os.platform ?? process.platform,
      arch: system?.os.arch ?? process.arch,
      os: system ? `${system.os.distro} ${system.os.release}`.trim() || system.os.platform : process.platform,
      cpu: system?.cpu.brand ?? 'unknown',
    },
    requirementsSource: target.source,
    requirements: { ...target.requirements },
    summary,
    checks,
    gpu,
    system,
    network,
    memoryFit,
    round,
  };
  progress('finished', 'Done', { message: `${summary.overall}: ${summary.fail} failed, ${summary.warn} warnings` });
  return report;
}
