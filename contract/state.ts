import { z } from 'zod';

/**
 * The trainer's lifecycle as the supervisor sees it. The full state machine is
 * driven by the supervisor (round engine issue); the UI only renders it.
 */
export const TrainerPhase = z.enum([
  'idle',
  'starting',
  'syncing',
  'training',
  'uploading',
  'gathering',
  'applying',
  'paused',
  'error',
]);
export type TrainerPhase = z.infer<typeof TrainerPhase>;

export const AppMode = z.enum(['electron', 'headless']);
export type AppMode = z.infer<typeof AppMode>;

export const CoreInfo = z.object({
  version: z.string(),
  mode: AppMode,
  platform: z.string(),
  arch: z.string(),
  /** Epoch milliseconds when the core started. */
  startedAt: z.number(),
  /** Whole seconds since start; ticks once a second so the UI shows the core is alive. */
  uptimeSeconds: z.number().int().nonnegative(),
});
export type CoreInfo = z.infer<typeof CoreInfo>;

export const TrainerState = z.object({
  phase: TrainerPhase,
  /** Why the trainer is in this phase, in words for a person. */
  detail: z.string(),
  /** Epoch milliseconds of the last phase change. */
  since: z.number(),
});
export type TrainerState = z.infer<typeof TrainerState>;

export const NetworkState = z.object({
  /** A network name (devnet, test, finney) or a custom ws:// URL. */
  target: z.string(),
});
export type NetworkState = z.infer<typeof NetworkState>;

/** Everything the UI renders, streamed as whole snapshots (small, so diffs would not pay). */
export const CoreState = z.object({
  core: CoreInfo,
  trainer: TrainerState,
  network: NetworkState,
});
export type CoreState = z.infer<typeof CoreState>;

export const LogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
export type LogLevel = z.infer<typeof LogLevel>;

export const LogEntry = z.object({
  /** Monotonic sequence number within this core's lifetime; lets the UI de-duplicate. */
  seq: z.number().int().nonnegative(),
  time: z.number(),
  level: LogLevel,
  /** Subsystem that wrote the line, e.g. `core`, `headless`, `trainer`. */
  source: z.string(),
  message: z.string(),
});
export type LogEntry = z.infer<typeof LogEntry>;
