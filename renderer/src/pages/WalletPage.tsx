import { useState, type FormEvent } from 'react';
import { ContractError } from '../../../contract';
import type { PreparedAction } from '../../../contract/domains/chain';
import type { WalletSummary } from '../../../contract/domains/wallet';
import { Card, EmptyState } from '../components/Card';
import { useClient } from '../client-context';
import { chainSelectors, formatTao } from '../store/slices/chain';
import { walletSelectors } from '../store/slices/wallet';
import { useStore } from '../store';
import { useWalletSync } from './wallet/use-wallet-sync';
import { FormMessage, type FormNote } from '../components/FormMessage';

function message(error: unknown): string {
  if (error instanceof ContractError && error.issues?.length) return error.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function Copy(props: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy ${props.label}`}
      onClick={() => void navigator.clipboard?.writeText(props.text).then(() => setDone(true), () => setDone(false))}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/**
 * The one-time reveal. The phrase lives only in this component's state (never
 * in the store) and is dropped when the user confirms or closes the dialog.
 */
function RevealPhrase(props: { token: string; wallet: string; expiresAt: number; onDone: () => void }) {
  const client = useClient();
  const [words, setWords] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const close = async (confirmed: boolean) => {
    setWords(null);
    if (confirmed) await client.request('wallet.confirmBackup', { name: props.wallet }).catch((e: unknown) => setError(message(e)));
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
        <button type="button" className="primary" onClick={() => void client.request('wallet.reveal', { token: props.token }).then((r) => setWords(r.words), (e: unknown) => setError(message(e)))}>
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

const MODES = ['create', 'mnemonic', 'seed', 'btcli'] as const;

function CreateOrImport(props: { onCreated: (token: string, wallet: string, expiresAt: number) => void }) {
  const client = useClient();
  const [mode, setMode] = useState<(typeof MODES)[number]>('create');
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
        props.onCreated(created.revealToken, created.wallet.name, created.revealExpiresAt);
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
      setResult({ tone: 'error', text: message(error) });
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

function Unlock(props: { wallet: WalletSummary }) {
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
        <button type="button" onClick={() => void client.request('wallet.lock', {}).catch((e: unknown) => setError(message(e)))}>
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
      setError(message(e));
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

function Registration(props: { wallet: WalletSummary }) {
  const client = useClient();
  const status = useStore(chainSelectors.status);
  const pending = useStore(chainSelectors.pendingAction);
  const setPending = useStore((s) => s.setPendingAction);
  const [passphrase, setPassphrase] = useState('');
  const [note, setNote] = useState<FormNote | null>(null);
  const me = status?.me ?? null;
  const health = status?.health;
  const prepare = async () => {
    setNote(null);
    try {
      setPending(await client.request('chain.prepare', { action: 'register' }));
    } catch (e) {
      setNote({ tone: 'error', text: message(e) });
    }
  };
  const confirm = async (action: PreparedAction) => {
    try {
      const done = await client.request('chain.confirm', { token: action.token, coldkeyPassphrase: passphrase });
      setNote({ tone: 'ok', text: `Registered as uid ${done.uid}.` });
    } catch (e) {
      setNote({ tone: 'error', text: message(e) });
    } finally {
      setPassphrase('');
      setPending(null);
    }
  };
  return (
    <Card title="On the chain" testId="chain-card">
      <dl className="facts">
        <dt>Network</dt>
        <dd>
          {status?.target ?? '…'} {health ? <span className="muted">({health.state}{health.state === 'failed' || health.state === 'idle' ? `: ${health.reason}` : ''})</span> : null}
        </dd>
        <dt>Block</dt>
        <dd>{status?.block ?? '…'}</dd>
        <dt>Coldkey balance</dt>
        <dd>{formatTao(status?.coldkeyBalance)}</dd>
        <dt>Subnet {status?.netuid ?? ''}</dt>
        <dd data-testid="registration">
          {me === null ? '…' : me.registered ? `registered, uid ${me.uid}${me.rank ? `, rank ${me.rank.rank} of ${me.rank.of} miners` : ''}` : 'not registered'}
        </dd>
        {me?.registered && (
          <>
            <dt>Rewards</dt>
            <dd>
              {formatTao(me.emissionPerTempo)} last tempo, {formatTao(me.cumulativeRewards)} seen in total
            </dd>
          </>
        )}
      </dl>
      {me && !me.registered && !props.wallet.coldkeyWatchOnly && !pending && (
        <button type="button" onClick={() => void prepare()}>
          Register this hotkey…
        </button>
      )}
      {pending && (
        <form className="form" role="dialog" aria-label="Confirm registration" onSubmit={(e) => (e.preventDefault(), void confirm(pending))}>
          <p>{pending.summary}</p>
          <label>
            Coldkey passphrase (unlocked for this one payment only)
            <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="current-password" />
          </label>
          <div>
            <button type="submit" className="primary">
              Confirm and pay
            </button>{' '}
            <button type="button" onClick={() => (void client.request('chain.cancel', { token: pending.token }).catch(() => undefined), setPending(null))}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {note && (
        <p>
          <FormMessage note={note} />
        </p>
      )}
    </Card>
  );
}

/** Create, import, unlock; addresses, balance and registration; never a secret in the store. */
export function WalletPage() {
  const client = useClient();
  useWalletSync(client);
  const status = useStore(walletSelectors.status);
  const wallets = useStore(walletSelectors.wallets);
  const active = useStore(walletSelectors.active);
  const warnings = useStore(walletSelectors.machineWarnings);
  const [reveal, setReveal] = useState<{ token: string; wallet: string; expiresAt: number } | null>(null);

  return (
    <div className="grid">
      {warnings.length > 0 && (
        <div className="banner banner-warn" role="note" data-testid="machine-warning">
          This machine looks rented, remote or virtual ({warnings.map((w) => w.detail).join('; ')}). Anyone with control of the host can read keys here: keep your coldkey
          on a machine you own, and import only the hotkey where possible.
        </div>
      )}
      {reveal && <RevealPhrase {...reveal} onDone={() => setReveal(null)} />}
      {status === null ? (
        <Card title="Wallet">
          <p className="muted">Loading…</p>
        </Card>
      ) : (
        wallets.map((wallet) => (
          <Card key={wallet.name} title={`Wallet “${wallet.name}”${wallet.name === active?.name ? ' (in use)' : ''}`} testId="wallet-card">
            {!wallet.backedUp && (
              <p className="banner banner-warn" role="note">
                Backup reminder: the recovery phrase of this coldkey was never confirmed as written down. Without it, a lost disk means lost funds.
              </p>
            )}
            <dl className="facts">
              <dt>Coldkey</dt>
              <dd>
                <code data-testid="coldkey-address">{wallet.coldkeyAddress}</code> <Copy text={wallet.coldkeyAddress} label="coldkey address" />
                {wallet.coldkeyWatchOnly && <span className="muted"> (address only)</span>}
              </dd>
              {wallet.hotkeys.map((hotkey) => (
                <div key={hotkey.name} style={{ display: 'contents' }}>
                  <dt>Hotkey {hotkey.name}</dt>
                  <dd>
                    <code>{hotkey.address}</code> <Copy text={hotkey.address} label={`hotkey ${hotkey.name} address`} />
                  </dd>
                </div>
              ))}
            </dl>
            {wallet.name === active?.name ? (
              <Unlock wallet={wallet} />
            ) : (
              <button type="button" onClick={() => void client.request('wallet.select', { name: wallet.name })}>
                Use this wallet
              </button>
            )}
          </Card>
        ))
      )}
      {active && <Registration wallet={active} />}
      <Card title={wallets.length === 0 ? 'Set up a wallet' : 'Add a wallet'}>
        {wallets.length === 0 && (
          <EmptyState title="No wallet on this machine">
            A coldkey holds your funds and pays for registration; a hotkey signs the everyday work. Secret keys stay in the core and never reach this window.
          </EmptyState>
        )}
        <CreateOrImport onCreated={(token, wallet, expiresAt) => setReveal({ token, wallet, expiresAt })} />
      </Card>
    </div>
  );
}
