import { useEffect, useRef } from 'react';
import type { Settings } from '../../contract';
import { useClient } from './client-context';

/**
 * Reads the settings once, when the component mounts, and hands them to
 * `apply` to start a form from (never after it unmounts; a failed read
 * leaves the form as it is, and saving says what is wrong).
 */
export function useSettingsOnce(apply: (settings: Settings) => void): void {
  const client = useClient();
  const latest = useRef(apply);
  useEffect(() => {
    latest.current = apply;
  });
  useEffect(() => {
    let live = true;
    void client.request('settings.get', {}).then(
      (settings) => {
        if (live) latest.current(settings);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);
}
