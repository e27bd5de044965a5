import { useState, type FormEvent } from 'react';
import type { WalletSummary } from '../../../../contract/domains/wallet';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { walletSelectors } from '../../store/slices/wallet';
import { errorMessage } from './error-message';

/** Unlocks the wallet's hotkey for signing (for a while, or until the app stops), or locks it again. */
export function HotkeyUnlock(props: { wallet: WalletSummary }) {
  const client = useClient();
  const unlocked = useStore(walletSelectors.unlocked);
  const keychain = useStore(walletSelectors.keychainAvailable);
  const [passphrase, setPassphrase] = useState('');
  const [remember, setRemember] = useState(false);
  const [minutes, setMinutes] = useState(0);
  const [error, setError] = useState<string | null>(null);
  if (unlocked && unlocked.wallet === props.wallet.name) {
    return (
      <p>
        Hotkey unlocked{unlocked.locksAt ? `, locks at ${new Date(unlocked.locksAt).toLocaleTimeString()}` : ' until the app stops'}.{' '}
        <button type="button" onClick={() => void client.request('wallet.lock', {}).catch((e: unknown) => setError(errorMessage(e)))}>
          Lock
        </button>
      </p>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await client.request('wallet.unlock', { name: props.wallet.name, passphrase, remember, timeoutMinutes: minutes });
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPassphrase('');
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <label>
        Hotkey passphrase
        <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="current-password" />
      </label>
      <label>
        Lock again after
        <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          <option value={0}>never (until the app stops)</option>
          <option value={60}>1 hour</option>
          <option value={480}>8 hours</option>
          <option value={1440}>24 hours</option>
        </select>
      </label>
      {keychain && (
        <label>
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember in the OS keychain
        </label>
      )}
      <div>
        <button type="submit" className="primary">
          Unlock hotkey
        </button>{' '}
        {error && (
          <span role="alert" className="error-text">
            {error}
          </span>
        )}
      </div>
    </form>
  );
}
