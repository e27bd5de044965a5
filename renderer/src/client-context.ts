import { createContext, useContext } from 'react';
import type { ContractClient } from '../../contract';

export const ClientContext = createContext<ContractClient | null>(null);

/** The contract client for components that make requests (state arrives through the store). */
export function useClient(): ContractClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside ClientContext');
  return client;
}
