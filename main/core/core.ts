import os from 'node:os';
import {
  ContractError,
  type AppMode,
  type CoreState,
  type EventData,
  type EventEnvelope,
  type EventName,
  type Settings,
} from '../../contract';
import { ConfigError, type ConfigStore } from '../config/config-store';
import type { Logger } from '../logging/logger';
import type { LogRing } from '../logging/log-ring';
import type { AppPaths } from '../platform/app-paths';
import { createDispatcher, type Dispatch } from './dispatcher';
import { StateStore } from './state-store';

export interface CoreOptions {
  name: string;
  version: string;
  mode: AppMode;
  paths: AppPaths;
  config: ConfigStore;
  logger: Logger;
  logRing: LogRing;
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
        detail: 'Not training: the trainer and round engine are not set up on this machine yet.',
        since: startedAt,
      },
      network: { target: options.config.value.network },
    });
    this.dispatch = createDispatcher(
      {
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
      },
      (error, method) => this.log.error({ err: error, method }, 'request handler failed'),
    );
  }

  /** Starts the once-a-second heartbeat that keeps uptime (and the UI's liveness) current. */
  start(): void {
    if (this.ticker) return;
    this.unsubscribers.push(
      this.store.subscribe((state) => this.emit('state', state)),
      this.options.logRing.subscribe((entry) => this.emit('log', entry)),
    );
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref?.();
    this.log.info({ version: this.options.version, mode: this.options.mode, host: os.hostname() }, 'core started');
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
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
    return { network: config.network, logLevel: config.logging.level };
  }

  private async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    try {
      await this.options.config.update((draft) => ({
        ...draft,
        network: patch.network ?? draft.network,
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
