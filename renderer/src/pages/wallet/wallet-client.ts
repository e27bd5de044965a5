import { useEffect } from 'react';
import type { UseBoundStore, StoreApi } from 'zustand';
import type { z } from 'zod';
import type { ContractClient } from '../../../../contract';
import { type chainEvents, chainMethods } from '../../../../contract/domains/chain';
import { type walletEvents, walletMethods } from '../../../../contract/domains/wallet';
import { useStore } from '../../store';
import type { Store } from '../../store/types';

const tables = { ...walletMethods, ...chainMethods };
type Tables = typeof tables;
export type DomainMethod = keyof Tables;

/**
 * Requests of the wallet and chain domains, typed from their own tables and
 * validated against them on the way back. (Written so that this page compiles
 * whether or not the domains are already gathered in contract/methods.ts.)
 */
export async function domainRequest<M extends DomainMethod>(client: ContractClient, method: M, params: z.input<Tables[M]['params']>): Promise<z.output<Tables[M]['result']>> {
  const request = client.request as unknown as (m: string, p: unknown) => Promise<unknown>;
  const result = await request.call(client, method, params);
  return (tables[method].result as z.ZodType).parse(result) as z.output<Tables[M]['result']>;
}

type EventTables = typeof walletEvents & typeof chainEvents;

export function onDomainEvent<E extends keyof EventTables>(client: ContractClient, event: E, listener: (data: z.output<EventTables[E]>) => void): () => void {
  const on = client.on as unknown as (e: string, l: (d: unknown) => void) => () => void;
  return on.call(client, event, (data) => listener(data as z.output<EventTables[E]>));
}

/** The app store, seen with the wallet and chain slices (present once they are composed into it). */
export const useWalletStore = useStore as unknown as UseBoundStore<StoreApi<Store>>;

/** Fetches wallet and chain status on mount and follows their events while the page is shown. */
export function useWalletSync(client: ContractClient): void {
  useEffect(() => {
    const state = useWalletStore.getState();
    const refresh = () => {
      void domainRequest(client, 'wallet.status', {}).then(state.receiveWalletStatus, (e: unknown) => state.setWalletError(String(e)));
      void domainRequest(client, 'chain.status', {}).then(state.receiveChainStatus, () => undefined);
    };
    refresh();
    const offs = [onDomainEvent(client, 'wallet.status', state.receiveWalletStatus), onDomainEvent(client, 'chain.status', state.receiveChainStatus)];
    return () => offs.forEach((off) => off());
  }, [client]);
}
