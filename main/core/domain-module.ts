import type { z } from 'zod';
import type { Handlers } from './dispatcher';
import type { ModuleContext } from './module';

/**
 * Typed handlers for one domain table (walletMethods, chainMethods), checked
 * against that table alone. The core's `Handlers` type only knows the methods
 * gathered in contract/methods.ts; this lets a domain compile and be tested on
 * its own, and once the table is gathered there the two types agree.
 */
export interface DomainSpec {
  params: z.ZodType;
  result: z.ZodType;
}

export type DomainHandlers<T extends Record<string, DomainSpec>> = {
  [M in keyof T]: (params: z.output<T[M]['params']>) => Promise<z.input<T[M]['result']>> | z.input<T[M]['result']>;
};

export function asCoreHandlers<T extends Record<string, DomainSpec>>(handlers: DomainHandlers<T>): Partial<Handlers> {
  return handlers as unknown as Partial<Handlers>;
}

/** ctx.emit for a domain event (validated against the domain's own schema first). */
export function domainEmitter<T extends Record<string, z.ZodType>>(context: ModuleContext, table: T) {
  const emit = context.emit as unknown as (event: string, data: unknown) => void;
  return <E extends keyof T & string>(event: E, data: z.input<T[E]>): void => {
    emit(event, table[event]!.parse(data));
  };
}
