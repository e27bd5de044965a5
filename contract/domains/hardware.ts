import { z } from 'zod';

/**
 * Hardware readiness: what this machine has (GPUs, CPU, RAM, disk, links),
 * what a run requires, and the checks between the two. The same report backs
 * `tandem doctor --json`, its HTML export and the Hardware page.
 */

/** Version of the list of checks (ids, meaning, thresholds). Bumped when a check is added, removed or changes meaning. */
export const HARDWARE_CHECKS_VERSION = 1;
/** Version tag of the report document (`tandem doctor --json`); see main/services/hardware/DOCTOR-JSON.md. */
export const HARDWARE_REPORT_SCHEMA = 'tandem.doctor/v1';

/** skip: not measured on purpose (e.g. `--skip-network`, nothing required); never changes the exit code. */
export const CheckStatus = z.enum(['pass', 'warn', 'fail', 'skip']);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const CheckCategory = z.enum(['gpu', 'system', 'disk', 'network', 'training']);
export type CheckCategory = z.infer<typeof CheckCategory>;

export const Check = z.object({
  /** Stable id, e.g. `gpu.present`, `gpu.vram`, `ram.total`, `net.upload`. */
  id: z.string().min(1),
  title: z.string(),
  category: CheckCategory,
  status: CheckStatus,
  /** What this machine has, in words and units ('2 × 24.0 GiB'); '—' where nothing could be measured. */
  measured: z.string(),
  /** What the run needs ('≥ 24 GiB per GPU'); 'not required' where the requirements say nothing. */
  required: z.string(),
  /** What to do about a warn or fail; empty on pass and skip. */
  remediation: z.string(),
  detail: z.string().optional(),
});
export type Check = z.infer<typeof Check>;

export const DiagnosisCode = z.enum([
  'nvidia-smi-missing',
  'driver-not-loaded',
  'driver-library-mismatch',
  'nvml-library-missing',
  'no-devices',
  'nvml-unknown-error',
  'nvidia-smi-timeout',
  'nvidia-smi-failed',
  'unparsable-output',
  'partial-document',
  'unknown-board-name',
  'inforom-warning',
  'mig-enabled',
  'vgpu-guest',
]);
export type DiagnosisCode = z.infer<typeof DiagnosisCode>;

export const Diagnosis = z.object({
  code: DiagnosisCode,
  severity: z.enum(['info', 'warn', 'error']),
  title: z.string(),
  detail: z.string(),
  remediation: z.string(),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

export const MigDevice = z.object({
  index: z.number().int(),
  profile: z.string().nullable(),
  memoryTotalMiB: z.number().nullable(),
});

export const GpuInfo = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  uuid: z.string().nullable(),
  busId: z.string().nullable(),
  architecture: z.string().nullable(),
  vramTotalMiB: z.number().nullable(),
  vramFreeMiB: z.number().nullable(),
  driverVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  /** 'major.minor', e.g. '8.6'. */
  computeCapability: z.string().nullable(),
  /** reported by nvidia-smi/NVML, or inferred from the board name / architecture. */
  computeCapabilitySource: z.enum(['reported', 'inferred']).nullable(),
  pcieGeneration: z.number().int().nullable(),
  pcieGenerationMax: z.number().int().nullable(),
  pcieWidth: z.number().int().nullable(),
  pcieWidthMax: z.number().int().nullable(),
  temperatureC: z.number().nullable(),
  powerLimitW: z.number().nullable(),
  powerDrawW: z.number().nullable(),
  migMode: z.enum(['enabled', 'disabled']).nullable(),
  migDevices: z.array(MigDevice),
  persistenceMode: z.enum(['enabled', 'disabled']).nullable(),
  /** 'None', 'Pass-Through', 'VGPU'… as nvidia-smi words it. */
  virtualizationMode: z.string().nullable(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const GpuDetection = z.object({
  source: z.enum(['nvidia-smi-xml', 'nvidia-smi-text', 'systeminformation', 'none']),
  gpus: z.array(GpuInfo),
  /** What nvidia-smi said it sees (attached_gpus); can exceed gpus.length on a partial document. */
  attachedGpus: z.number().int().nullable(),
  driverVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  diagnoses: z.array(Diagnosis),
});
export type GpuDetection = z.infer<typeof GpuDetection>;

export const SystemInfo = z.object({
  hostname: z.string(),
  os: z.object({ platform: z.string(), distro: z.string(), release: z.string(), kernel: z.string(), arch: z.string() }),
  cpu: z.object({ brand: z.string(), cores: z.number().int(), physicalCores: z.number().int() }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }),
  disk: z.object({ path: z.string(), freeBytes: z.number().nullable(), totalBytes: z.number().nullable() }),
  virtualization: z.object({ container: z.string().nullable(), vm: z.string().nullable() }),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const NetworkMeasurement = z.object({
  storage: z
    .object({
      endpoint: z.string(),
      streams: z.number().int(),
      bytesPerDirection: z.number(),
      uploadBytesPerSecond: z.number(),
      downloadBytesPerSecond: z.number(),
      latencyMs: z.number(),
    })
    .nullable(),
  chain: z.object({ endpoint: z.string(), latencyMs: z.number() }).nullable(),
  /** Why a part could not be measured. */
  errors: z.array(z.string()),
});
export type NetworkMeasurement = z.infer<typeof NetworkMeasurement>;

export const MemoryFitResult = z.object({
  parameters: z.number(),
  gpus: z.number().int(),
  vramPerGpuBytes: z.number(),
  usableBytesPerGpu: z.number(),
  staticBytesPerGpu: z.number(),
  activationBytesPerSequence: z.number(),
  activationBytesPerSequenceCheckpointed: z.number(),
  maxMicroBatch: z.number().int(),
  maxMicroBatchCheckpointed: z.number().int(),
  fits: z.boolean(),
  recommended: z.object({ microBatch: z.number().int(), checkpointing: z.boolean() }).nullable(),
  reason: z.string().nullable(),
});
export type MemoryFitResult = z.infer<typeof MemoryFitResult>;

export const RoundEstimate = z.object({
  payloadBytes: z.number(),
  windowSeconds: z.number(),
  uploadSeconds: z.number().nullable(),
  downloadSeconds: z.number().nullable(),
  deadlineSeconds: z.number(),
  meetsDeadline: z.boolean().nullable(),
  computeShare: z.number().nullable(),
});
export type RoundEstimate = z.infer<typeof RoundEstimate>;

export const ReportSummary = z.object({
  overall: z.enum(['pass', 'warn', 'fail']),
  pass: z.number().int(),
  warn: z.number().int(),
  fail: z.number().int(),
  skip: z.number().int(),
});

export const HardwareReport = z.object({
  schema: z.literal(HARDWARE_REPORT_SCHEMA),
  checksVersion: z.number().int(),
  runId: z.string(),
  generatedAt: z.string(),
  durationMs: z.number(),
  app: z.object({ name: z.string(), version: z.string() }),
  machine: z.object({ hostname: z.string(), platform: z.string(), arch: z.string(), os: z.string(), cpu: z.string() }),
  requirementsSource: z.string(),
  requirements: z.record(z.string(), z.unknown()),
  summary: ReportSummary,
  checks: z.array(Check),
  gpu: GpuDetection,
  system: SystemInfo.nullable(),
  network: NetworkMeasurement.nullable(),
  memoryFit: MemoryFitResult.nullable(),
  round: RoundEstimate.nullable(),
});
export type HardwareReport = z.infer<typeof HardwareReport>;

export const RequirementsPreset = z.enum(['default', 'devnet', 'covenant-like']);
export type RequirementsPreset = z.infer<typeof RequirementsPreset>;

export const HardwareProgress = z.object({
  runId: z.string(),
  phase: z.enum(['started', 'step', 'check', 'finished', 'failed']),
  /** What is being measured now, in words. */
  step: z.string(),
  completed: z.number().int().min(0),
  total: z.number().int().min(0),
  check: Check.optional(),
  message: z.string().optional(),
});
export type HardwareProgress = z.infer<typeof HardwareProgress>;

export const TelemetrySource = z.enum(['nvml', 'nvidia-smi', 'simulated', 'none']);
export type TelemetrySource = z.infer<typeof TelemetrySource>;

export const GpuSample = z.object({
  index: z.number().int(),
  utilizationPct: z.number().nullable(),
  memoryUtilizationPct: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryTotalMiB: z.number().nullable(),
});
export type GpuSample = z.infer<typeof GpuSample>;

export const TelemetryFrame = z.object({ at: z.number(), source: TelemetrySource, gpus: z.array(GpuSample) });
export type TelemetryFrame = z.infer<typeof TelemetryFrame>;

export const TelemetryStatus = z.object({ source: TelemetrySource, running: z.boolean(), detail: z.string().nullable() });
export type TelemetryStatus = z.infer<typeof TelemetryStatus>;

export const ReportExport = z.object({ filename: z.string(), mimeType: z.string(), text: z.string() });
export type ReportExport = z.infer<typeof ReportExport>;

export const hardwareMethods = {
  /** Runs every check (progress arrives as `hardware.progress` events) and returns the report. */
  'hardware.run': {
    params: z.object({ requirements: RequirementsPreset.default('default'), skipNetwork: z.boolean().default(false) }).strict(),
    result: HardwareReport,
  },
  /** The last report of this session, or null before the first run. */
  'hardware.lastReport': { params: z.object({}).strict(), result: HardwareReport.nullable() },
  /** The last report as a file's text (JSON document or self-contained HTML page). */
  'hardware.export': { params: z.object({ format: z.enum(['json', 'html']) }).strict(), result: ReportExport },
  /** Starts or stops the 1 Hz `hardware.telemetry` stream. */
  'hardware.telemetry': { params: z.object({ enabled: z.boolean() }).strict(), result: TelemetryStatus },
} as const;

export const hardwareEvents = {
  'hardware.progress': HardwareProgress,
  'hardware.telemetry': TelemetryFrame,
} as const;
