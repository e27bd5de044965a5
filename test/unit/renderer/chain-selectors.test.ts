import { describe, expect, it } from 'vitest';
import { formatTao, rankTrend, rewardSeries } from '../../../renderer/src/store/slices/chain';

describe('Dashboard rank and rewards selectors', () => {
  it('reads the rank trend with 1 as best, from the first paid epoch on', () => {
    const e = (rank: number | null, incentive = 0.2) => ({ rank, incentive });
    expect(rankTrend([e(3), e(null), e(1)])).toEqual({ trend: 'up', by: 2 });
    expect(rankTrend([e(1), e(2)])).toEqual({ trend: 'down', by: 1 });
    expect(rankTrend([e(2), e(2)])).toEqual({ trend: 'same', by: 0 });
    expect(rankTrend([e(2)])).toEqual({ trend: null, by: 0 });
    // Before anything is paid everyone ties at 1: that is no fall.
    expect(rankTrend([e(1, 0), e(2)])).toEqual({ trend: null, by: 0 });
    // A paid miner that drops to no incentive does fall.
    expect(rankTrend([e(1, 0), e(1), e(3, 0)])).toEqual({ trend: 'down', by: 2 });
  });

  it('ends the cumulative series at the chain total, which counts epochs before the history', () => {
    const series = rewardSeries({
      cumulativeRewards: '3500000000',
      recentRewards: [
        { tempoIndex: 4, emission: '500000000' },
        { tempoIndex: 5, emission: '1000000000' },
      ],
    });
    expect(series.epochs).toEqual([4, 5]);
    expect(series.perEpoch).toEqual([0.5, 1]);
    expect(series.cumulative).toEqual([2.5, 3.5]);
  });

  it('formats rao as τ with four decimals', () => {
    expect(formatTao('1234567890')).toBe('1.2345 τ');
    expect(formatTao(null)).toBe('…');
  });
});
