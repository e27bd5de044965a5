import { useCallback, useEffect } from 'react';
import type { RequirementsPreset } from '../../../../contract/domains/hardware';
import { ContractError } from '../../../../contract/errors';
import { useClient } from '../../client-context';
import { useStore } from '../../store';

/** Loads the last readiness report on mount and returns a function that starts a run (progress arrives as events). */
export function useHardwareChecks(): (preset: RequirementsPreset, skipNetwork: boolean) => Promise<void> {
  const client = useClient();
  const startHardwareRun = useStore((s) => s.startHardwareRun);
  const receiveHardwareReport = useStore((s) => s.receiveHardwareReport);
  const failHardwareRun = useStore((s) => s.failHardwareRun);

  useEffect(() => {
    void client
      .request('hardware.lastReport', {})
      .then((last) => last && receiveHardwareReport(last))
      .catch(() => undefined);
  }, [client, receiveHardwareReport]);

  return useCallback(
    async (preset, skipNetwork) => {
      startHardwareRun();
      try {
        receiveHardwareReport(await client.request('hardware.run', { requirements: preset, skipNetwork }));
      } catch (e) {
        // Network probes can outlast the request timeout; the run goes on in the core and its
        // 'finished' progress event brings the report (see store/sync.ts).
        if (e instanceof ContractError && e.code === 'TIMEOUT') return;
        failHardwareRun(e instanceof Error ? e.message : String(e));
      }
    },
    [client, startHardwareRun, receiveHardwareReport, failHardwareRun],
  );
}
