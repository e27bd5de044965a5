import path from 'node:path';
import { AbsoluteFolder, CostSettings, ResourceLimits, TrainOn } from '../../../contract/settings';
import { z } from 'zod';
import { GuardSettings, LogLevel, NetworkTarget, ScheduleSettings } from '../../../contract';
import { AccessKeyId, BucketName, S3Url, StorageRegion, StorageSecretPlace } from '../../../contract/domains/storage';

/**
 * The on-disk config file. Strict, so a misspelt field is an error that names
 * it instead of a setting silently ignored. Every field has a default, so an
 * empty file (or none) is a valid config.
 */
export const CONFIG_VERSION = 1;

export const HeadlessConfig = z
  .object({
    /** Loopback by default; anything else exposes the UI beyond this machine. */
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(47800),
  })
  .strict();

export const LoggingConfig = z
  .object({
    level: LogLevel.default('info'),
    maxFileSizeMB: z.number().int().min(1).max(1024).default(10),
    /** Rotated files kept besides the current one. */
    maxFiles: z.number().int().min(1).max(100).default(5),
  })
  .strict();

/** Desktop-only behaviour, set from the tray menu (or by hand here). */
export const DesktopConfig = z
  .object({
    /** Opt-in: start Tandem (hidden in the tray) when the user logs in. */
    startAtLogin: z.boolean().default(false),
    /** Which releases electron-updater follows: latest (stable) or beta (pre-releases too). */
    updateChannel: z.enum(['latest', 'beta']).default('latest'),
    checkForUpdates: z.boolean().default(true),
  })
  .strict();

/**
 * This peer's own bucket, without its secrets: the two secret access keys
 * live in the OS keychain or in the passphrase-sealed file beside this one
 * (main/services/bucket/). Set with `tandem storage set` or Settings → Storage.
 */
export const StorageConfig = z
  .object({
    endpoint: S3Url,
    region: StorageRegion,
    bucket: BucketName,
    forcePathStyle: z.boolean(),
    writeAccessKeyId: AccessKeyId,
    /** Published on chain: other peers read this peer's updates with it. */
    readAccessKeyId: AccessKeyId,
    secretsIn: StorageSecretPlace,
  })
  .strict();
export type StorageConfig = z.infer<typeof StorageConfig>;

/** Where a run's manifest is: an absolute path on this machine, or an http(s):// or s3:// URL. */
const ManifestSource = z.string().refine((s) => /^(https?|s3):\/\/\S+$/i.test(s) || path.isAbsolute(s), { message: 'an absolute path or an http(s):// or s3:// URL' });

export const ConfigFile = z
  .object({
    version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
    /** devnet, test, finney, local, or a ws:// / wss:// URL. */
    network: NetworkTarget.default('devnet'),
    /**
     * The run joined on a network other than the devnet (whose run is built
     * in): its manifest, a file on this machine or an http(s) URL, set by
     * `tandem start --manifest <file|url>`.
     */
    manifest: ManifestSource.nullable().default(null),
    /**
     * The run's subnet, when the run is named by it (`tandem start --netuid N`):
     * its manifest is then found through the run owner's commitment on chain.
     */
    netuid: z.number().int().min(0).max(65535).nullable().default(null),
    /** The run owner's hotkey (SS58) the user named: a published manifest must be signed by it. */
    runOwner: z.string().min(40).max(60).nullable().default(null),
    /** Overrides the OS default data folder from the next start; null keeps the default. */
    dataDir: AbsoluteFolder.nullable().default(null),
    limits: ResourceLimits.prefault({}),
    /** cpu unless the user opts in; config files written before this setting existed read as cpu. */
    trainOn: TrainOn.default('cpu'),
    /** Electricity price and, where nothing measures it, this machine's draw: the cost ledger beside Earnings. */
    costs: CostSettings.prefault({}),
    headless: HeadlessConfig.prefault({}),
    logging: LoggingConfig.prefault({}),
    guard: GuardSettings.prefault({}),
    schedule: ScheduleSettings.prefault({}),
    desktop: DesktopConfig.prefault({}),
    storage: StorageConfig.nullable().default(null),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFile>;
