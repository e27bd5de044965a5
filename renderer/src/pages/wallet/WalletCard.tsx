import type { WalletSummary } from '../../../../contract/domains/wallet';
import { Card } from '../../components/Card';
import { useClient } from '../../client-context';
import { CopyButton } from './CopyButton';
import { HotkeyUnlock } from './HotkeyUnlock';

/** One wallet: backup reminder, coldkey and hotkey addresses; the wallet in use can unlock its hotkey, another can be put in use. */
export function WalletCard(props: { wallet: WalletSummary; inUse: boolean }) {
  const client = useClient();
  const { wallet } = props;
  return (
    <Card title={`Wallet “${wallet.name}”${props.inUse ? ' (in use)' : ''}`} testId="wallet-card">
      {!wallet.backedUp && (
        <p className="banner banner-warn" role="note">
          Backup reminder: the recovery phrase of this coldkey was never confirmed as written down. Without it, a lost disk means lost funds.
        </p>
      )}
      <dl className="facts">
        <dt>Coldkey</dt>
        <dd>
          <code data-testid="coldkey-address">{wallet.coldkeyAddress}</code> <CopyButton text={wallet.coldkeyAddress} label="coldkey address" />
          {wallet.coldkeyWatchOnly && <span className="muted"> (address only)</span>}
        </dd>
        {wallet.hotkeys.map((hotkey) => (
          <div key={hotkey.name} style={{ display: 'contents' }}>
            <dt>Hotkey {hotkey.name}</dt>
            <dd>
              <code>{hotkey.address}</code> <CopyButton text={hotkey.address} label={`hotkey ${hotkey.name} address`} />
            </dd>
          </div>
        ))}
      </dl>
      {props.inUse ? (
        <HotkeyUnlock wallet={wallet} />
      ) : (
        <button type="button" onClick={() => void client.request('wallet.select', { name: wallet.name })}>
          Use this wallet
        </button>
      )}
    </Card>
  );
}
