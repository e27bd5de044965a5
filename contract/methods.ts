import type { z } from 'zod';
import { appEvents, appMethods } from './domains/app';
import { hardwareEvents, hardwareMethods } from './domains/hardware';
import { networkEvents, networkMethods } from './domains/network';
import { supportEvents, supportMethods } from './domains/support';
import { roundEvents, roundMethods } from './domains/round';
import { chainEvents, chainMethods } from './domains/chain';
import { walletEvents, walletMethods } from './domains/wallet';
import { guardEvents, guardMethods } from './domains/guard';
import { scheduleEvents, scheduleMethods } from './domains/schedule';
import { earningsEvents, earningsMethods } from './domains/earnings';
import { notificationEvents, notificationMethods } from './domains/notifications';
import { storageEvents, storageMethods } from './domains/storage';
import { fitEvents, fitMethods } from './domains/fit';

/**
 * Every request the UI can make and every event the core pushes, gathered
 * from the domain files in ./domains (one per area: app, hardware, wallet…).
 * Adding a capability means adding it to a domain file (and the domain here
 * once); both bridges and the renderer client pick it up from these tables.
 */
export const methods = {
  ...appMethods,
  ...hardwareMethods,
  ...networkMethods,
  ...supportMethods,
  ...roundMethods,
  ...walletMethods,
  ...chainMethods,
  ...guardMethods,
  ...scheduleMethods,
  ...earningsMethods,
  ...notificationMethods,
  ...storageMethods,
  ...fitMethods,
} as const;

export const events = {
  ...appEvents,
  ...hardwareEvents,
  ...networkEvents,
  ...supportEvents,
  ...roundEvents,
  ...walletEvents,
  ...chainEvents,
  ...guardEvents,
  ...scheduleEvents,
  ...earningsEvents,
  ...notificationEvents,
  ...storageEvents,
  ...fitEvents,
} as const;

export interface MethodSpec {
  params: z.ZodType;
  result: z.ZodType;
}

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = z.input<(typeof methods)[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<(typeof methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

export type EventName = keyof typeof events;
export type EventData<E extends EventName> = z.output<(typeof events)[E]>;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
