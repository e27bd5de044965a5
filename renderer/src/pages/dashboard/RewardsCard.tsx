import { useEffect, useMemo, useState } from 'react';
import type { RoundSummary } from '../../../../contract/domains/round';
import { useClient } from '../../client-context';
import { roundSelectors } from '../../store/slices/round';
import { Card, EmptyState } from '../../components/Card';
import { LineChart } from '../../components/charts/LineChart';
import { useStore } from '../../store';
import { chainSelectors, formatTao, raoToTao, rewardSeries } from '../../store/slices/chain';
import { rewardUnit } from './reward-unit';

const formatAmount = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

/** The ledger's rounds that carry a reward (the chain pays per epoch; the ledger splits it over its rounds). */
function useRoundRewards(): { windows: number[]; rewards: number[] } {
  const client = useClient();
  const completed = useStore((s) => roundSelectors.round(s)?.completedRounds ?? 0);
  const [history, setHistory] = useState<RoundSummary[]>([]);
  useEffect(() => {
    let active = true;
    void client
      .request('round.history', { limit: 60 })
      .then((h) => active && setHistory(h))
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, [client, completed]);
  return useMemo(() => {
    const paid = history.filter((r) => r.reward !== undefined);
    return { windows: paid.map((r) => r.window), rewards: paid.map((r) => raoToTao(r.reward as string)) };
  }, [history]);
}

/** Cumulative rewards, per round where the ledger has them, and per epoch, as read from the chain for this machine's hotkey. */
export function RewardsCard() {
  const me = useStore(chainSelectors.me);
  const target = useStore(chainSelectors.target);
  const unit = rewardUnit(target);
  const series = useMemo(() => (me ? rewardSeries(me) : null), [me]);
  const last = me?.recentRewards[me.recentRewards.length - 1] ?? null;
  const perRound = useRoundRewards();

  return (
    <Card title="Rewards" testId="rewards-card">
      {me ? (
        <>
          <p className="big-figure">
            <span data-testid="rewards-total">{formatTao(me.cumulativeRewards)}</span>
            <span className="muted"> earned in all</span>
          </p>
          <dl className="facts">
            <dt>Last epoch</dt>
            <dd data-testid="rewards-last">{last ? formatTao(last.emission) : '—'}</dd>
            <dt>Per epoch now</dt>
            <dd>{formatTao(me.emissionPerTempo ?? '0')}</dd>
            <dt>Unit</dt>
            <dd data-testid="rewards-unit">{unit.note}</dd>
          </dl>
          {series && series.epochs.length > 1 ? (
            <>
              <LineChart x={series.epochs} y={series.cumulative} label={`Cumulative rewards (${unit.symbol})`} xLabel="epoch" format={formatAmount} testId="rewards-cumulative-chart" />
              {perRound.windows.length > 1 && (
                <LineChart x={perRound.windows} y={perRound.rewards} label={`Rewards per round (${unit.symbol})`} xLabel="window" format={formatAmount} kind="bars" height={140} testId="rewards-round-chart" />
              )}
              <LineChart x={series.epochs} y={series.perEpoch} label={`Rewards per epoch (${unit.symbol})`} xLabel="epoch" format={formatAmount} kind="bars" colorVar="--ok" height={140} testId="rewards-epoch-chart" />
            </>
          ) : (
            <EmptyState title="The chart starts after two epochs">Rewards are paid once per epoch, from the validator&apos;s scores of the rounds before.</EmptyState>
          )}
        </>
      ) : (
        <RewardsEmpty target={target} />
      )}
    </Card>
  );
}

function RewardsEmpty({ target }: { target: string | null }) {
  const health = useStore(chainSelectors.health);
  const lastError = useStore(chainSelectors.lastError);
  if (health?.state === 'failed') {
    return (
      <EmptyState title="Cannot reach the chain">
        {health.reason}. Check the network in Settings, or your connection; the app keeps retrying.
      </EmptyState>
    );
  }
  if (target === 'devnet') {
    return (
      <EmptyState title="No rewards yet">
        Join the run: on the devnet, rewards arrive a few rounds after joining, once the validator has scored this machine&apos;s updates.
        {lastError ? ` (${lastError})` : ''}
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No rewards yet">
      Create or import a wallet and register its hotkey on the subnet (Wallet page); rewards for that hotkey appear here once per epoch.
    </EmptyState>
  );
}
