import { z } from 'zod';
import { LogLevel } from './state';

/**
 * The user-editable settings as the UI sees them. The core's config file holds
 * these plus machine-local fields the UI never edits (bind address, paths).
 */
/** A known network name, or the WebSocket URL of any subtensor endpoint. */
export const NetworkTarget = z.union([
  z.enum(['devnet', 'local', 'test', 'finney']),
  z
    .string()
    .max(512)
    .regex(/^wss?:\/\/[^\s/]+/, 'expected devnet, local, test, finney or a ws:// or wss:// URL'),
]);
export type NetworkTarget = z.infer<typeof NetworkTarget>;

/** An absolute folder path on any OS (/…, C:\… or \\server\share). */
export const AbsoluteFolder = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'expected an absolute folder path, e.g. /data/tandem or D:\\Tandem');

/** Caps on what the app may use; null means no cap. */
export const ResourceLimits = z
  .object({
    uploadMbps: z.number().positive().max(100_000).nullable().default(null),
    downloadMbps: z.number().positive().max(100_000).nullable().default(null),
    /** Disk space for checkpoints, updates and shards. */
    diskGiB: z.number().min(1).max(1_000_000).nullable().default(null),
    /** CPU threads for the trainer's data loading and CPU training. */
    cpuThreads: z.number().int().min(1).max(1024).nullable().default(null),
  })
  .strict();
export type ResourceLimits = z.infer<typeof ResourceLimits>;

/** Where this machine's trainer runs: the CPU (default), or NVIDIA GPUs through CUDA (experimental). */
export const TrainOn = z.enum(['cpu', 'gpu']);
export type TrainOn = z.infer<typeof TrainOn>;

/**
 * The run joined on a network other than the devnet (whose run is built in):
 * its manifest (an http(s):// or s3:// URL, or an absolute file path), or its
 * subnet alone (the run is then found through its owner's commitment on
 * chain), and its owner's hotkey when the user names it.
 */
export const RunNaming = z
  .object({
    manifest: z
      .string()
      .max(2048)
      .regex(/^((https?|s3):\/\/\S+|\/.*|[A-Za-z]:[\\/].*)$/, 'expected an http(s):// or s3:// URL, or an absolute file path')
      .nullable(),
    netuid: z.number().int().min(0).max(65535).nullable(),
    owner: z
      .string()
      .regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'expected an SS58 hotkey address')
      .nullable(),
  })
  .strict();
export type RunNaming = z.infer<typeof RunNaming>;

/**
 * What training costs this machine, for the cost ledger beside Earnings: the
 * electricity price in the user's own currency (none by default), and the
 * wattage to count on a machine that measures its power nowhere (no GPU
 * telemetry, no CPU energy counter), and the price of one τ in the same
 * currency: the user's own price source (none by default), for showing burns
 * and rewards in their money. The app never looks a price up.
 */
export const CostSettings = z
  .object({
    pricePerKWh: z.number().min(0).max(100).nullable().default(null),
    currency: z
      .string()
      .regex(/^[A-Za-z$€£¥₹]{1,8}$/, 'expected a currency code or sign, e.g. EUR, USD or €')
      .default('EUR'),
    machineWatts: z.number().positive().max(100_000).nullable().default(null),
    /** What one τ is worth in `currency`, as the user set it; null shows τ only. */
    taoPrice: z.number().positive().max(1_000_000_000).nullable().default(null),
  })
  .strict();
export type CostSettings = z.infer<typeof CostSettings>;

export const Settings = z
  .object({
    network: NetworkTarget,
    /** The run on that network; changing the network without naming a run forgets the old one. */
    run: RunNaming,
    logLevel: LogLevel,
    /** Where checkpoints, ledgers and the devnet live; null is the OS default. Used from the next start. */
    dataDir: AbsoluteFolder.nullable(),
    limits: ResourceLimits,
    /** Used from the next Join; gpu trains on the GPUs chosen in the guard card (FSDP across two or more). */
    trainOn: TrainOn,
    costs: CostSettings,
  })
  .strict();
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = Settings.partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;
