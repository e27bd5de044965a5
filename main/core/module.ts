import type { EventData, EventName } from '../../contract';
import type { ConfigStore } from './config/config-store';
import type { Logger } from './logging/logger';
import type { AppPaths } from '../platform/app-paths';
import type { Handlers } from './dispatcher';

/** What the core lends each module. */
export interface ModuleContext {
  /** Pushes an event to every bridge; the data must match the contract's event schema. */
  emit<E extends EventName>(event: E, data: EventData<E>): void;
  /** A child logger tagged with the module's name as `source`. */
  logger: Logger;
  paths: AppPaths;
  config: ConfigStore;
}

/**
 * One area of the core (hardware, wallet, chain, rounds…): the handlers for
 * its methods of the contract, and an optional lifecycle. Modules are listed
 * once in main/app/modules.ts; the core checks at start-up that every method
 * of the contract has exactly one handler.
 */
export interface CoreModule {
  readonly name: string;
  handlers(context: ModuleContext): Partial<Handlers>;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}
