import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import {
  ContractError,
  methods,
  type AppMode,
  type CoreState,
  type EventData,
  type EventEnvelope,
  type EventName,
  type Settings,
} from '../../contract';
import { ConfigError, type ConfigStore } from './config/config-store';
import type { Logger } from './logging/logger';
import type { LogRing } from './logging/log-ring';
import type { AppPaths } from '../platform/app-paths';
import { createDispatcher, type Dispatch, type Handlers } from './dispatcher';
import type { CoreModule, ModuleContext } from './module';
import { StateStore } from './state-store';

export interface CoreOptions {
  name: string;
  version: string;
  mode: AppMode;
  paths: AppPaths;
  config: ConfigStore;
  logger: Logger;
  logRing: LogRing;
  /** Domains beyond the app basics; see main/app/modules.ts. */
  modules?: CoreModule[];
  /** Injected so tests can drive time. */
  now?: () => number;
}

export type EventListener = (envelope: EventEnvelope) => void;

/**
 * The framework-free heart of Tandem. It owns all state, answers every request
 * of the contract and pushes events; Electron and the headless server are only
 * adapters that carry its envelopes.
 */
export class TandemCore {
  readonly dispatch: Dispatch;
  private readonly store: StateStore;
  private readonly listeners = new Set<EventListener>();
  private readonly now: () => number;
  private readonly log: Logger;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private readonly brokenListeners = new WeakSet<EventListener>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly modules: CoreModule[];

  constructor(private readonly options: CoreOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ source: 'core' });
    const startedAt = this.now();
    this.store = new StateStore({
      core: {
        version: options.version,
        mode: options.mode,
        platform: process.platform,
        arch: process.arch,
        startedAt,
        uptimeSeconds: 0,
      },
      trainer: {
        phase: 'idle',
        detail: 'Not training: press Join the run on the Dashboard to start.',
        since: startedAt,
      },
      network: { target: options.config.value.network },
    });
    const appHandlers: Partial<Handlers> = {
      'app.info': () => ({
        name: options.name,
        version: options.version,
        mode: options.mode,
        platform: process.platform,
        arch: process.arch,
        nodeVersion: process.versions.node,
        dataDir: options.paths.dataDir,
        logDir: options.paths.logDir,
        configFile: options.paths.configFile,
      }),
      'app.ping': (params) => ({ ...(params.nonce === undefined ? {} : { nonce: params.nonce }), at: this.now() }),
      'state.get': () => this.store.get(),
      'logs.tail': (params) => options.logRing.tail(params.limit, params.minLevel),
      'settings.get': () => this.settings(),
      'settings.update': (patch) => this.updateSettings(patch),
    };
    this.modules = options.modules ?? [];
    const groups: Array<[string, Partial<Handlers>]> = [['app', appHandlers]];
    for (const module of this.modules) {
      const context: ModuleContext = {
        emit: (event, data) => this.emit(event, data),
        logger: options.logger.child({ source: module.name }),
        paths: options.paths,
        config: options.config,
      };
      groups.push([module.name, module.handlers(context)]);
    }
    this.dispatch = createDispatcher(
      mergeHandlers(groups),
      (error, method) => this.log.error({ err: error, method }, 'request handler failed'),
    );
  }

  /** Starts the modules, then the once-a-second heartbeat that keeps uptime (and the UI's liveness) current. */
  async start(): Promise<void> {
    if (this.ticker) return;
    for (const module of this.modules) await module.start?.();
    this.unsubscribers.push(
      this.store.subscribe((state) => this.emit('state', state)),
      this.options.logRing.subscribe((entry) => this.emit('log', entry)),
    );
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref?.();
    this.log.info({ version: this.options.version, mode: this.options.mode, host: os.hostname() }, 'core started');
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    for (const module of [...this.modules].reverse()) {
      try {
        await module.stop?.();
      } catch (error) {
        this.log.error({ err: error, module: module.name }, 'module failed to stop cleanly');
      }
    }
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.log.info('core stopped');
  }

  getState(): CoreState {
    return this.store.get();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventName>(event: E, data: EventData<E>): void {
    const envelope: EventEnvelope = { kind: 'event', event, data };
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch (error) {
        // One broken bridge must not starve the others of events. Report each
        // broken listener once: the report is itself a log event, and a
        // listener that throws on every event would otherwise loop forever.
        if (this.brokenListeners.has(listener)) continue;
        this.brokenListeners.add(listener);
        this.log.warn({ err: error, event: envelope.event }, 'event listener threw; further errors from it are not reported');
      }
    }
  }

  private tick(): void {
    const uptimeSeconds = Math.floor((this.now() - this.store.get().core.startedAt) / 1000);
    this.store.update((s) => (s.core.uptimeSeconds === uptimeSeconds ? s : { ...s, core: { ...s.core, uptimeSeconds } }));
  }

  private settings(): Settings {
    const config = this.options.config.value;
    return { network: config.network, run: { manifest: config.manifest, netuid: config.netuid, owner: config.runOwner }, logLevel: config.logging.level, dataDir: config.dataDir, limits: config.limits, trainOn: config.trainOn, costs: config.costs };
  }

  private async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    if (patch.dataDir) {
      const problem = await folderProblem(patch.dataDir);
      if (problem) throw new ContractError('INVALID_PARAMS', `dataDir: ${problem}`, [{ path: 'dataDir', message: problem }]);
    }
    try {
      await this.options.config.update((draft) => ({
        ...draft,
        network: patch.network ?? draft.network,
        // A run is named for its network: another network without a run named forgets the old one.
        ...(patch.run
          ? { manifest: patch.run.manifest, netuid: patch.run.netuid, runOwner: patch.run.owner }
          : patch.network !== undefined && patch.network !== draft.network
            ? { manifest: null, netuid: null, runOwner: null }
            : {}),
        dataDir: patch.dataDir === undefined ? draft.dataDir : patch.dataDir,
        limits: patch.limits ?? draft.limits,
        trainOn: patch.trainOn ?? draft.trainOn,
        costs: patch.costs ?? draft.costs,
        logging: { ...draft.logging, level: patch.logLevel ?? draft.logging.level },
      }));
    } catch (error) {
      if (error instanceof ConfigError) throw new ContractError('INVALID_PARAMS', error.message, error.issues);
      throw error;
    }
    const settings = this.settings();
    this.options.logger.level = settings.logLevel;
    this.store.update((s) => (s.network.target === settings.network ? s : { ...s, network: { target: settings.network } }));
    this.log.info({ settings }, 'settings updated');
    return settings;
  }
}

/** Why a folder cannot hold the app's data (made if missing, must be writable), or null when it can. */
async function folderProblem(dir: string): Promise<string | null> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fsConstants.W_OK);
    return (await fs.stat(dir)).isDirectory() ? null : 'is not a folder';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'this app may not write there' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of this folder' : `cannot use this folder (${code ?? (error as Error).message})`;
  }
}

/**
 * Joins the handler groups and checks the result covers the contract exactly:
 * a method without a handler, or with two, is a wiring bug caught at start-up.
 */
export function mergeHandlers(groups: Array<[string, Partial<Handlers>]>): Handlers {
  const merged: Partial<Record<string, unknown>> = {};
  const owner = new Map<string, string>();
  for (const [name, handlers] of groups) {
    for (const [method, handler] of Object.entries(handlers)) {
      const previous = owner.get(method);
      if (previous) throw new Error(`method ${method} is handled by both ${previous} and ${name}`);
      owner.set(method, name);
      merged[method] = handler;
    }
  }
  const missing = Object.keys(methods).filter((m) => !owner.has(m));
  if (missing.length > 0) throw new Error(`no handler for ${missing.join(', ')}`);
  const unknown = [...owner.keys()].filter((m) => !(m in methods));
  if (unknown.length > 0) throw new Error(`handlers for methods not in the contract: ${unknown.join(', ')}`);
  return merged as Handlers;
}
