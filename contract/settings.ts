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

export const Settings = z
  .object({
    network: NetworkTarget,
    logLevel: LogLevel,
  })
  .strict();
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = Settings.partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;
