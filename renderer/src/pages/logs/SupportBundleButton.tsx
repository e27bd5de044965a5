import { useState } from 'react';
import { useClient } from '../../client-context';
import { download } from '../../download';

/** Saves a support bundle (versions, settings, recent log) that the core has already stripped of secrets. */
export function SupportBundleButton() {
  const client = useClient();
  const [state, setState] = useState<{ busy: boolean; message: string | null; error: boolean }>({ busy: false, message: null, error: false });
  const exportBundle = async () => {
    setState({ busy: true, message: null, error: false });
    try {
      const bundle = await client.request('support.bundle', {});
      download(bundle.filename, bundle.mimeType, bundle.text);
      setState({ busy: false, message: `Saved ${bundle.filename}: passphrases, recovery phrases, keys and tokens are taken out.`, error: false });
    } catch (e) {
      setState({ busy: false, message: e instanceof Error ? e.message : String(e), error: true });
    }
  };
  return (
    <span className="support-bundle">
      <button type="button" onClick={() => void exportBundle()} disabled={state.busy} aria-busy={state.busy}>
        Export support bundle
      </button>{' '}
      {state.message && (
        <span role={state.error ? 'alert' : 'status'} className={state.error ? 'error-text' : 'muted'} data-testid="support-bundle-status">
          {state.message}
        </span>
      )}
    </span>
  );
}
