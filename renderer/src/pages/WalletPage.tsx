import { useState } from 'react';
import { Card, EmptyState } from '../components/Card';
import { useClient } from '../client-context';
import { useStore } from '../store';
import { walletSelectors } from '../store/slices/wallet';
import { CreateOrImport } from './wallet/CreateOrImport';
import { RegistrationCard } from './wallet/RegistrationCard';
import { RevealPhrase, type PendingReveal } from './wallet/RevealPhrase';
import { useWalletSync } from './wallet/use-wallet-sync';
import { WalletCard } from './wallet/WalletCard';

/** Create, import, unlock; addresses, balance and registration; never a secret in the store. */
export function WalletPage() {
  const client = useClient();
  useWalletSync(client);
  const status = useStore(walletSelectors.status);
  const wallets = useStore(walletSelectors.wallets);
  const active = useStore(walletSelectors.active);
  const warnings = useStore(walletSelectors.machineWarnings);
  const [reveal, setReveal] = useState<PendingReveal | null>(null);

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
        wallets.map((wallet) => <WalletCard key={wallet.name} wallet={wallet} inUse={wallet.name === active?.name} />)
      )}
      {active && <RegistrationCard wallet={active} />}
      <Card title={wallets.length === 0 ? 'Set up a wallet' : 'Add a wallet'}>
        {wallets.length === 0 && (
          <EmptyState title="No wallet on this machine">
            A coldkey holds your funds and pays for registration; a hotkey signs the everyday work. Secret keys stay in the core and never reach this window.
          </EmptyState>
        )}
        <CreateOrImport onCreated={setReveal} />
      </Card>
    </div>
  );
}
