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
  // The bridge may report 'open' before connectToCore has returned the client.
  const ref: { client?: ContractClient } = {};

  const refresh = async () => {
    const client = ref.client;
    if (!client) return;
    try {
      const [state, info, logs, round] = await Promise.all([
        client.request('state.get', {}),
        client.request('app.info', {}),
        client.request('logs.tail', { limit: 500 }),
        client.request('round.get', {}),
      ]);
      store.receiveCoreState(state);
      store.receiveAppInfo(info);
      void client.request('chain.status', {}).then(store.receiveChainStatus, () => undefined);
      store.receiveRound(round);
      store.replaceLogs(logs);
      const [guard, schedule, notifications] = await Promise.all([client.request('guard.get', {}), client.request('schedule.get', {}), client.request('notifications.list', {})]);
      store.receiveGuard(guard);
      store.receiveSchedule(schedule);
      store.replaceNotifications(notifications);
      void client.request('storage.get', {}).then(store.receiveStorageStatus, () => undefined);
    } catch (error) {
      store.reportProtocolError(error instanceof Error ? error.message : String(error));
    }
  };

  const client = connectToCore(
    (status) => {
      store.setConnectionStatus(status);
      if (status === 'open') void refresh();
    },
    (message) => store.reportProtocolError(message),
  );
  ref.client = client;
  client.on('state', (state) => store.receiveCoreState(state));
  client.on('log', (entry) => store.appendLog(entry));
  client.on('chain.status', (status) => store.receiveChainStatus(status));
  client.on('hardware.progress', (progress) => {
    store.receiveHardwareProgress(progress);
    if (progress.phase === 'finished') void client.request('hardware.lastReport', {}).then((report) => store.receiveHardwareReport(report)).catch(() => undefined);
  });
  client.on('hardware.telemetry', (frame) => store.receiveTelemetry(frame));
  client.on('round', (round) => store.receiveRound(round));
  client.on('guard', (guard) => store.receiveGuard(guard));
  client.on('schedule', (schedule) => store.receiveSchedule(schedule));
  client.on('notification', (n) => store.receiveNotification(n));
  client.on('storage.status', (status) => store.receiveStorageStatus(status));
  client.on('storage.testProgress', (progress) => store.receiveStorageTestProgress(progress));
  client.on('storage.testResult', (result) => store.receiveStorageTestResult(result));
  if (useStore.getState().status === 'open') void refresh();
  return client;
}
