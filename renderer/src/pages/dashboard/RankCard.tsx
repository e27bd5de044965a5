import { useMemo } from 'react';
import { Card, EmptyState } from '../../components/Card';
import { useStore } from '../../store';
import { chainSelectors, rankTrend } from '../../store/slices/chain';

const TREND_TEXT = { up: 'up', down: 'down', same: 'unchanged' } as const;
const TREND_ICON = { up: '▲', down: '▼', same: '■' } as const;

/** Position among the subnet's miners (1 is best), and which way it moved since the epoch before. */
export function RankCard() {
  const me = useStore(chainSelectors.me);
  const trend = useMemo(() => (me ? rankTrend(me.recentRewards) : null), [me]);
  // First place at zero incentive means every miner is at zero: the validators have not scored anyone yet, so a rank would only be a tie.
  const allTied = me?.rank?.rank === 1 && me.incentive === 0;

  return (
    <Card title="Rank" testId="rank-card">
      {me?.rank && !allTied ? (
        <>
          <p className="big-figure">
            <span data-testid="rank-position">#{me.rank.rank}</span>
            <span className="muted">
              {' '}
              of <span data-testid="rank-of">{me.rank.of}</span> miners
            </span>
          </p>
          {trend?.trend ? (
            <p className={`trend trend-${trend.trend}`} data-testid="rank-trend">
              <span aria-hidden="true">{TREND_ICON[trend.trend]} </span>
              {trend.trend === 'same' ? 'Unchanged since the last epoch' : `${TREND_TEXT[trend.trend]} ${trend.by} since the last epoch`}
            </p>
          ) : (
            <p className="muted">The trend shows after the next epoch.</p>
          )}
          <dl className="facts">
            <dt>Incentive</dt>
            <dd>{me.incentive === null ? '—' : `${(me.incentive * 100).toFixed(1)} %`}</dd>
            <dt>UID</dt>
            <dd>{me.uid ?? '—'}</dd>
          </dl>
        </>
      ) : (
        <EmptyState title={me && !me.registered ? 'Not registered' : 'No rank yet'}>
          {me && !me.registered
            ? 'This hotkey has no uid on the subnet: register it on the Wallet page to be ranked.'
            : allTied
              ? 'Miners are ranked by the incentive the validators give them; it appears once the validators have scored the first rounds.'
              : 'Miners are ranked by the incentive the validators give them; it appears once this machine is on the subnet.'}
        </EmptyState>
      )}
    </Card>
  );
}
