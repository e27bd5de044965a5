import { useState, type FormEvent } from 'react';
import { useClient } from '../../client-context';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { errorMessage } from './error-message';
import type { PendingReveal } from './RevealPhrase';

const MODES = ['create', 'mnemonic', 'seed', 'btcli'] as const;
type Mode = (typeof MODES)[number];

/** Creates a wallet (then offers its recovery phrase once) or imports one; passphrases leave the form once sent. */
export function CreateOrImport(props: { onCreated: (reveal: PendingReveal) => void }) {
  const client = useClient();
  const [mode, setMode] = useState<Mode>('create');
  const [name, setName] = useState('default');
  const [words, setWords] = useState<12 | 24>(12);
  const [secret, setSecret] = useState('');
  const [folder, setFolder] = useState('');
  const [btcliPassword, setBtcliPassword] = useState('');
  const [coldkeyPassphrase, setColdkeyPassphrase] = useState('');
  const [hotkeyPassphrase, setHotkeyPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FormNote | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      if (mode === 'create') {
        const created = await client.request('wallet.create', { name, words, coldkeyPassphrase, hotkeyPassphrase });
        props.onCreated({ token: created.revealToken, wallet: created.wallet.name, expiresAt: created.revealExpiresAt });
      } else if (mode === 'btcli') {
        const imported = await client.request('wallet.importBtcli', { name, path: folder, coldkeyPassphrase, hotkeyPassphrase, ...(btcliPassword ? { btcliPassword } : {}) });
        setResult({ tone: 'ok', text: `Imported ${imported.wallet.coldkeyAddress}${imported.skipped.length ? `; skipped: ${imported.skipped.join('; ')}` : ''}` });
      } else {
        const imported = await client.request('wallet.import', {
          name,
          coldkey: mode === 'mnemonic' ? { kind: 'mnemonic', mnemonic: secret } : { kind: 'seed', seed: secret },
          coldkeyPassphrase,
          hotkeyPassphrase,
        });
        setResult({ tone: 'ok', text: `Imported ${imported.wallet.coldkeyAddress}` });
      }
    } catch (error) {
      setResult({ tone: 'error', text: errorMessage(error) });
    } finally {
      // Secrets leave the form as soon as they were sent.
      setSecret('');
      setBtcliPassword('');
      setColdkeyPassphrase('');
      setHotkeyPassphrase('');
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy}>
      <label>
        What to do
        <select value={mode} onChange={(e) => setMode(MODES.find((m) => m === e.target.value) ?? 'create')}>
          <option value="create">Create a new wallet</option>
          <option value="mnemonic">Import a recovery phrase</option>
          <option value="seed">Import a raw seed (hex)</option>
          <option value="btcli">Import a btcli wallet folder</option>
        </select>
      </label>
      <label>
        Wallet name
        <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </label>
      {mode === 'create' && (
        <label>
          Recovery phrase length
          <select value={words} onChange={(e) => setWords(e.target.value === '24' ? 24 : 12)}>
            <option value={12}>12 words</option>
            <option value={24}>24 words</option>
          </select>
        </label>
      )}
      {(mode === 'mnemonic' || mode === 'seed') && (
        <label>
          {mode === 'mnemonic' ? 'Recovery phrase' : 'Seed (64 hex digits)'}
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
      )}
      {mode === 'btcli' && (
        <>
          <label>
            Folder
            <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="~/.bittensor/wallets/default" spellCheck={false} />
          </label>
          <label>
            btcli password (if the coldkey is encrypted)
            <input type="password" value={btcliPassword} onChange={(e) => setBtcliPassword(e.target.value)} autoComplete="off" />
          </label>
        </>
      )}
      <label>
        New coldkey passphrase (funds; asked for each registration or transfer)
        <input type="password" value={coldkeyPassphrase} onChange={(e) => setColdkeyPassphrase(e.target.value)} autoComplete="new-password" />
      </label>
      <label>
        New hotkey passphrase (daily signing)
        <input type="password" value={hotkeyPassphrase} onChange={(e) => setHotkeyPassphrase(e.target.value)} autoComplete="new-password" />
      </label>
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Working…' : mode === 'create' ? 'Create' : 'Import'}
        </button>{' '}
        <FormMessage note={result} />
      </div>
    </form>
  );
}
