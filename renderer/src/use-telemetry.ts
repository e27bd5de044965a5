import { useEffect } from 'react';
import { useClient } from './client-context';
import { useStore } from './store';

/** Keeps the core's 1 Hz GPU telemetry stream on while the calling component is shown. */
export function useTelemetryStream(): void {
  const client = useClient();
  const setTelemetryStatus = useStore((s) => s.setTelemetryStatus);
  useEffect(() => {
    let active = true;
    void client
      .request('hardware.telemetry', { enabled: true })
      .then((s) => active && setTelemetryStatus(s))
      .catch(() => undefined);
    return () => {
      active = false;
      void client.request('hardware.telemetry', { enabled: false }).catch(() => undefined);
    };
  }, [client, setTelemetryStatus]);
}
