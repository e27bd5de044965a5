import { z } from 'zod';
import { CoreState, LogEntry, LogLevel, AppMode } from './state';
import { Settings, SettingsPatch } from './settings';

const NoParams = z.object({}).strict();

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

/**
 * Every request the UI can make, with its params and result schemas. Adding a
 * capability means adding one entry here and one handler in the core; both
 * bridges and the renderer client pick it up from this table.
 */
export const methods = {
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

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = z.input<(typeof methods)[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<(typeof methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

/** Events the core pushes without being asked. */
export const events = {
  state: CoreState,
  log: LogEntry,
} as const;

export type EventName = keyof typeof events;
export type EventData<E extends EventName> = z.output<(typeof events)[E]>;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
