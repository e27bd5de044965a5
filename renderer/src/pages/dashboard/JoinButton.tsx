import { useState } from 'react';
import { ContractError } from '../../../../contract';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { roundSelectors } from '../../store/slices/round';

/** Join the run, or pause after the current round; a refusal says why in words. */
export function JoinButton() {
  const client = useClient();
  const round = useStore(roundSelectors.round);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const joined = round?.joined ?? false;

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      if (joined) await client.request('round.leave', { when: 'after-round' });
      else await client.request('round.join', {});
    } catch (e) {
      setError(e instanceof ContractError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="join">
      <button type="button" className="primary" onClick={() => void toggle()} disabled={busy} aria-busy={busy} data-testid="join-button">
        {joined ? 'Pause after this round' : 'Join the run'}
      </button>
      {/* A refusal the core also made the round's blocker is said by the card's status line, once. */}
      {error && error !== round?.blocker && (
        <p role="alert" className="error-text" data-testid="join-error">
          {error}
        </p>
      )}
    </div>
  );
}
