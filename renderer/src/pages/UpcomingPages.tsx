import { Card, EmptyState } from '../components/Card';
import { useStore } from '../store';
import { coreSelectors } from '../store/slices/core';

// These pages have their place in the shell now; their content arrives with
// the hardware, wallet and network work. Each says what it will show.

export function NetworkPage() {
  const network = useStore(coreSelectors.networkTarget);
  return (
    <Card title="Network">
      <dl className="facts">
        <dt>Target</dt>
        <dd>{network ?? '…'}</dd>
      </dl>
      <EmptyState title="Not connected to a run">
        Peers, their ratings and the run manifest appear here once the app has joined a run. Change the target network in Settings.
      </EmptyState>
    </Card>
  );
}
