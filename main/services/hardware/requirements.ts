import { z } from 'zod';
import type { RequirementsPreset } from '../../../contract/domains/hardware';

/**
 * What a run asks of a peer's machine. Every field is optional: a field left
 * out is not checked. The run manifest embeds this object as `requirements`
 * (main/ports/run-manifest.ts keeps it opaque and this schema reads it).
 * Sizes are in GiB (2^30 bytes) as nvidia-smi and `free -g` count them; link
 * speeds in megabits per second as ISPs quote them.
 */
export const HardwareRequirements = z
  .object({
    /** Whole NVIDIA GPUs the peer trains on (FSDP inside the node). 0 = none needed (CPU devnet). */
    gpuCount: z.number().int().min(0).optional(),
    vramPerGpuGiB: z.number().positive().optional(),
    /** Lowest CUDA compute capability, 'major.minor' (e.g. '8.0' for bf16 tensor cores). */
    computeCapability: z.string().regex(/^\d+\.\d+$/).optional(),
    /** Lowest NVIDIA driver version, e.g. '535.54'. */
    driverVersion: z.string().regex(/^\d+(\.\d+)*$/).optional(),
    ramGiB: z.number().positive().optional(),
    /** Free space on the data folder (checkpoints, shards, update cache). */
    diskFreeGiB: z.number().positive().optional(),
    uploadMbps: z.number().positive().optional(),
    downloadMbps: z.number().positive().optional(),
    /** Round-trip time to the run's storage. */
    maxStorageLatencyMs: z.number().positive().optional(),
  })
  .strict();
export type HardwareRequirements = z.infer<typeof HardwareRequirements>;

/** The embedded devnet trains a toy model on the CPU: no GPU, modest memory and disk. */
export const DEVNET_REQUIREMENTS: HardwareRequirements = {
  gpuCount: 0,
  ramGiB: 2,
  diskFreeGiB: 2,
};

/**
 * The default when no manifest is named: a single-GPU run of a small model,
 * the least a real run asks. A machine without an NVIDIA GPU fails it.
 */
export const DEFAULT_GPU_REQUIREMENTS: HardwareRequirements = {
  gpuCount: 1,
  vramPerGpuGiB: 24,
  computeCapability: '8.0',
  driverVersion: '535',
  ramGiB: 32,
  diskFreeGiB: 200,
  uploadMbps: 50,
  downloadMbps: 200,
  maxStorageLatencyMs: 250,
};

/**
 * Like the Covenant-72B miners: 8 × B200-class GPUs per peer with FSDP inside the
 * node, and the typical published peer link (500 Mb/s down, 110 Mb/s up).
 */
export const COVENANT_LIKE_REQUIREMENTS: HardwareRequirements = {
  gpuCount: 8,
  vramPerGpuGiB: 178,
  computeCapability: '9.0',
  driverVersion: '550',
  ramGiB: 1024,
  diskFreeGiB: 2048,
  uploadMbps: 110,
  downloadMbps: 500,
  maxStorageLatencyMs: 200,
};

export function presetRequirements(preset: RequirementsPreset): HardwareRequirements {
  switch (preset) {
    case 'devnet':
      return DEVNET_REQUIREMENTS;
    case 'covenant-like':
      return COVENANT_LIKE_REQUIREMENTS;
    default:
      return DEFAULT_GPU_REQUIREMENTS;
  }
}

/** Reads the `requirements` object of a manifest, naming the bad field. */
export function parseRequirements(raw: unknown, source: string): HardwareRequirements {
  const parsed = HardwareRequirements.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'requirements'}: ${i.message}`).join('; ');
    throw new Error(`${source}: ${issues}`);
  }
  return parsed.data;
}
