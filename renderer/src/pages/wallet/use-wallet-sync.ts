import { useEffect } from 'react';
import type { ContractClient } from '../../../../contract';
import { useStore } from '../../store';

/** Fetches wallet and chain status on mount and follows their events while the page is shown. */
export function useWalletSync(client: ContractClient): void {
  useEffect(() => {
    const state = useStore.getState();
    void client.request('wallet.status', {}).then(state.receiveWalletStatus, (e: unknown) => state.setWalletError(String(e)));
    void client.request('chain.status', {}).then(state.receiveChainStatus, () => undefined);
    const offs = [client.on('wallet.status', state.receiveWalletStatus), client.on('chain.status', state.receiveChainStatus)];
    return () => offs.forEach((off) => off());
  }, [client]);
}
