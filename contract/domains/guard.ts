import { z } from 'zod';
import { NoParams } from './app';

/**
 * The thermal and power guard: per-GPU targets, and how hard the trainer is
 * being held back to stay under them. Settings live in the config file
 * (`guard`); state streams as `guard` events.
 */
export const GpuLimit = z
  .object({
    index: z.number().int().min(0).max(63),
    /** Throttle above this temperature. */
    targetTempC: z.number().min(40).max(105),
    /** Throttle above this board power; null = no power target. */
    targetPowerW: z.number().min(10).max(2000).nullable(),
  })
  .strict();
export type GpuLimit = z.infer<typeof GpuLimit>;

export const GuardSettings = z
  .object({
    enabled: z.boolean().default(true),
    /** GPUs the trainer may use (CUDA_VISIBLE_DEVICES); null = all. Leave the display GPU out. */
    selectedGpus: z.array(z.number().int().min(0).max(63)).max(64).nullable().default(null),
    /** Target for GPUs without their own entry in `limits`. */
    defaultTargetTempC: z.number().min(40).max(105).default(83),
    limits: z.array(GpuLimit).max(64).default([]),
    /** Also cap board power with `nvidia-smi -pl` (needs administrator rights); the cap is each GPU's targetPowerW. */
    applyPowerCap: z.boolean().default(false),
  })
  .strict();
export type GuardSettings = z.infer<typeof GuardSettings>;
export const GuardSettingsPatch = GuardSettings.partial().strict();
export type GuardSettingsPatch = z.infer<typeof GuardSettingsPatch>;

export const GuardSource = z.enum(['nvml', 'nvidia-smi', 'simulated', 'none']);
export type GuardSource = z.infer<typeof GuardSource>;

export const GpuGuardReading = z.object({
  index: z.number().int(),
  selected: z.boolean(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nullable(),
  targetTempC: z.number(),
  targetPowerW: z.number().nullable(),
  /** Over a target in the latest frame. */
  over: z.boolean(),
});
export type GpuGuardReading = z.infer<typeof GpuGuardReading>;

export const GuardState = z.object({
  enabled: z.boolean(),
  source: GuardSource,
  /** 0 = full speed … 4 = strongest throttle. */
  level: z.number().int().min(0).max(4),
  throttled: z.boolean(),
  pauseMs: z.number().int().nonnegative(),
  microBatchDivisor: z.number().int().positive(),
  /** Why it throttles, in words (e.g. "GPU 0 at 88 °C, target 83 °C"). */
  reason: z.string().nullable(),
  /** Epoch ms when the current throttle began. */
  since: z.number().nullable(),
  /** Seconds spent throttled since the app started. */
  throttledSeconds: z.number().nonnegative(),
  gpus: z.array(GpuGuardReading),
  /** The optional nvidia-smi power cap. */
  powerCap: z.object({ status: z.enum(['off', 'applied', 'failed']), detail: z.string().nullable() }),
  /** CUDA_VISIBLE_DEVICES the trainer gets, or null for all. */
  visibleDevices: z.string().nullable(),
});
export type GuardState = z.infer<typeof GuardState>;

export const guardMethods = {
  'guard.get': { params: NoParams, result: GuardState },
  'guard.settings': { params: NoParams, result: GuardSettings },
  'guard.configure': { params: GuardSettingsPatch, result: GuardSettings },
} as const;

export const guardEvents = {
  guard: GuardState,
} as const;
