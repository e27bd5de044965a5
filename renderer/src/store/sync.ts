import type { ContractClient } from '../../../contract';
import { connectToCore } from '../bridge/connect';
import { useStore } from './index';

/**
 * The one module that talks to the bridge on the store's behalf: it connects,
 * feeds events into the slices, and refetches the full picture after every
 * (re)connect so nothing missed while offline stays stale.
 */
export function startSync(): ContractClient {
  const store = useStore.getState();
  let client: ContractClient | undefined;

  const refresh = async () => {
    if (!client) return;
    try {
      const [state, info, logs] = await Promise.all([
        client.request('state.get', {}),
        client.request('app.info', {}),
        client.request('logs.tail', { limit: 500 }),
      ]);
      store.receiveCoreState(state);
      store.receiveAppInfo(info);
      store.replaceLogs(logs);
    } catch (error) {
      store.reportProtocolError(error instanceof Error ? error.message : String(error));
    }
  };

  client = connectToCore(
    (status) => {
      store.setConnectionStatus(status);
      if (status === 'open') void refresh();
    },
    (message) => store.reportProtocolError(message),
  );
  client.on('state', (state) => store.receiveCoreState(state));
  client.on('log', (entry) => store.appendLog(entry));
  if (useStore.getState().status === 'open') void refresh();
  return client;
}
