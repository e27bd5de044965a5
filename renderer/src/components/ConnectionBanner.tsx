import { useStore } from '../store';
import { connectionSelectors } from '../store/slices/connection';

/** Says plainly when the UI is not looking at live data, and what to do about it. */
export function ConnectionBanner() {
  const status = useStore(connectionSelectors.status);
  const protocolError = useStore(connectionSelectors.protocolError);
  if (status === 'unauthorized') {
    return (
      <div className="banner banner-error" role="alert">
        This page has no valid access token. Open the full link that <code>tandem start</code> printed (it ends with <code>#token=…</code>).
      </div>
    );
  }
  if (status === 'reconnecting') {
    return (
      <div className="banner banner-warn" role="status">
        Lost the connection to the Tandem core; reconnecting…
      </div>
    );
  }
  if (protocolError) {
    return (
      <div className="banner banner-warn" role="status">
        A message from the core was rejected: {protocolError}
      </div>
    );
  }
  return null;
}
