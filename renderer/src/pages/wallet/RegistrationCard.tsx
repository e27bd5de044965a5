import { useState } from 'react';
import type { PreparedAction } from '../../../../contract/domains/chain';
import type { WalletSummary } from '../../../../contract/domains/wallet';
import { Card } from '../../components/Card';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { useClient } from '../../client-context';
import { formatTaoExact } from '../../format';
import { describeTaoWorth } from '../../tao-value';
import { useSettingsOnce } from '../../use-settings-once';
import { useStore } from '../../store';
import { chainSelectors, formatTao } from '../../store/slices/chain';
import { errorMessage } from './error-message';
import { ImmunityFacts, immunityTerms } from './Immunity';

/** The wallet on the chain: network, block, balance and registration; registering asks for the coldkey passphrase once, after the fee is shown. */
export function RegistrationCard(props: { wallet: WalletSummary }) {
  const client = useClient();
  const status = useStore(chainSelectors.status);
  const pending = useStore(chainSelectors.pendingAction);
  const setPending = useStore((s) => s.setPendingAction);
  const [passphrase, setPassphrase] = useState('');
  const [note, setNote] = useState<FormNote | null>(null);
  // The user's own τ price (Earnings → Costs), for the burn in their currency; none by default.
  const [price, setPrice] = useState<{ taoPrice: number | null; currency: string }>({ taoPrice: null, currency: '' });
  useSettingsOnce((s) => setPrice({ taoPrice: s.costs.taoPrice, currency: s.costs.currency }));
  const me = status?.me ?? null;
  const health = status?.health;
  const prepare = async () => {
    setNote(null);
    try {
      setPending(await client.request('chain.prepare', { action: 'register' }));
    } catch (e) {
      setNote({ tone: 'error', text: errorMessage(e) });
    }
  };
  const confirm = async (action: PreparedAction) => {
    try {
      const done = await client.request('chain.confirm', { token: action.token, coldkeyPassphrase: passphrase });
      setNote({ tone: 'ok', text: `Registered as uid ${done.uid}.` });
    } catch (e) {
      setNote({ tone: 'error', text: errorMessage(e) });
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
        {status && <ImmunityFacts status={status} />}
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
          {pending.action === 'register' && <RegistrationCost action={pending} balance={status?.coldkeyBalance ?? null} price={price} />}
          {pending.action === 'register' && <p className="muted" data-testid="immunity-terms">{immunityTerms(status)}</p>}
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

/** What the registration costs, in τ and (with a τ price set) in the user's currency, beside what the coldkey holds. */
function RegistrationCost(props: { action: PreparedAction; balance: string | null; price: { taoPrice: number | null; currency: string } }) {
  const burn = props.action.burn ?? '0';
  const total = (BigInt(burn) + BigInt(props.action.fee)).toString();
  const worth = (rao: string) => {
    const said = describeTaoWorth(rao, props.price);
    return said === null ? '' : ` (${said})`;
  };
  return (
    <dl className="facts">
      <dt>Burn</dt>
      <dd data-testid="registration-burn">
        {formatTao(burn)}
        {worth(burn)}, not refunded
      </dd>
      <dt>Fee</dt>
      <dd data-testid="registration-fee">about {formatTaoExact(props.action.fee)}</dd>
      <dt>Coldkey balance</dt>
      <dd data-testid="registration-balance">
        {formatTao(props.balance)}
        {props.balance !== null && /^\d+$/.test(props.balance) && BigInt(props.balance) >= BigInt(total) ? `, ${formatTao((BigInt(props.balance) - BigInt(total)).toString())} after paying` : ''}
      </dd>
    </dl>
  );
}
