import { useState } from 'react';
import { useClient } from '../../client-context';
import { errorMessage } from './error-message';

/** What the core hands back after creating a wallet: a one-time token to reveal its recovery phrase. */
export interface PendingReveal {
  token: string;
  wallet: string;
  expiresAt: number;
}

/**
 * The one-time reveal. The phrase lives only in this component's state (never
 * in the store) and is dropped when the user confirms or closes the dialog.
 */
export function RevealPhrase(props: PendingReveal & { onDone: () => void }) {
  const client = useClient();
  const [words, setWords] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const close = async (confirmed: boolean) => {
    setWords(null);
    if (confirmed) await client.request('wallet.confirmBackup', { name: props.wallet }).catch((e: unknown) => setError(errorMessage(e)));
    else await client.request('wallet.discardReveal', { token: props.token }).catch(() => undefined);
    props.onDone();
  };
  return (
    <div role="dialog" aria-label="Recovery phrase" className="banner banner-warn" data-testid="reveal">
      <p>
        <strong>Write down the recovery phrase of your coldkey, on paper, now.</strong> It is shown once and stored nowhere; with it anyone can take your funds, without
        it nobody (not even you) can recover them. Available until {new Date(props.expiresAt).toLocaleTimeString()}.
      </p>
      {words ? (
        <ol className="facts" data-testid="reveal-words">
          {words.map((word, i) => (
            <li key={i}>{word}</li>
          ))}
        </ol>
      ) : (
        <button type="button" className="primary" onClick={() => void client.request('wallet.reveal', { token: props.token }).then((r) => setWords(r.words), (e: unknown) => setError(errorMessage(e)))}>
          Show the recovery phrase
        </button>
      )}{' '}
      <button type="button" disabled={!words} onClick={() => void close(true)}>
        I wrote it down
      </button>{' '}
      <button type="button" onClick={() => void close(false)}>
        Close without saving
      </button>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </div>
  );
}
