import { useEffect, useRef, useState } from 'react';
import type { Settings } from '../../contract';
import { useClient } from './client-context';

/**
 * Reads the settings once, when the component mounts, and hands them to
 * `apply` to start a form from (never after it unmounts; a failed read
 * leaves the form as it is, and saving says what is wrong). Returns whether
 * they have arrived: a form keeps its fields read-only until then, so that a
 * late answer never overwrites what was typed.
 */
export function useSettingsOnce(apply: (settings: Settings) => void): boolean {
  const client = useClient();
  const latest = useRef(apply);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    latest.current = apply;
  });
  useEffect(() => {
    let live = true;
    void client.request('settings.get', {}).then(
      (settings) => {
        if (live) {
          latest.current(settings);
          setLoaded(true);
        }
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);
  return loaded;
}
