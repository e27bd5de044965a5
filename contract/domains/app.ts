import { z } from 'zod';
import { CoreState, LogEntry, LogLevel, AppMode } from '../state';
import { Settings, SettingsPatch } from '../settings';

export const NoParams = z.object({}).strict();

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: AppMode,
  platform: z.string(),
  arch: z.string(),
  nodeVersion: z.string(),
  dataDir: z.string(),
  logDir: z.string(),
  configFile: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** App-level requests: identity, liveness, state snapshot, logs, settings. */
export const appMethods = {
  'app.info': { params: NoParams, result: AppInfo },
  'app.ping': {
    params: z.object({ nonce: z.string().max(64).optional() }).strict(),
    result: z.object({ nonce: z.string().optional(), at: z.number() }),
  },
  'state.get': { params: NoParams, result: CoreState },
  'logs.tail': {
    params: z
      .object({
        limit: z.number().int().min(1).max(5000).default(500),
        minLevel: LogLevel.optional(),
      })
      .strict(),
    result: z.array(LogEntry),
  },
  'settings.get': { params: NoParams, result: Settings },
  'settings.update': { params: SettingsPatch, result: Settings },
} as const;

/** App-level events the core pushes without being asked. */
export const appEvents = {
  state: CoreState,
  log: LogEntry,
} as const;
