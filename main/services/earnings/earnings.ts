import type { EarningsReport, EarningsRow } from '../../../contract/domains/earnings';
import type { CostSettings } from '../../../contract/settings';
import type { RoundSummary } from './round-ledger';

/** What the chain paid this peer at one epoch, as read from the metagraph. */
export interface EpochPayout {
  epoch: number;
  block: number;
  at: number;
  /** Rao paid to this uid at this epoch. */
  emission: string;
  incentive: number;
}

/**
 * Splits one epoch's emission over the rounds it paid for. The chain pays per
 * epoch, not per round, so every round that uploaded since the last epoch
 * gets an equal share (the remainder goes to the last, so shares sum exactly
 * to the emission); rounds that did not upload get nothing and a reason.
 */
export function attributeEpoch(payout: EpochPayout, rounds: readonly RoundSummary[]): Array<{ window: number; reward: string; weight: number; reason?: string }> {
  const paid = rounds.filter((r) => r.phases.includes('uploaded'));
  const emission = BigInt(payout.emission);
  const out: Array<{ window: number; reward: string; weight: number; reason?: string }> = [];
  const share = paid.length > 0 ? emission / BigInt(paid.length) : 0n;
  let given = 0n;
  for (const round of rounds) {
    const i = paid.indexOf(round);
    if (i < 0) {
      out.push({ window: round.window, reward: '0', weight: payout.incentive, reason: round.reason ?? 'no upload this round: nothing for the validators to score' });
      continue;
    }
    const reward = i === paid.length - 1 ? emission - given : share;
    given += reward;
    out.push({
      window: round.window,
      reward: reward.toString(),
      weight: payout.incentive,
      ...(reward === 0n ? { reason: payout.incentive === 0 ? `uploaded, but the validators gave this peer no weight at epoch ${payout.epoch} (score too low, late or not evaluated)` : `epoch ${payout.epoch} paid this peer nothing` } : {}),
    });
  }
  return out;
}

/** The ledger's rounds as earnings rows; every zero comes with its reason, every measured round its energy and cost. */
export function earningsRows(summaries: readonly RoundSummary[], pricePerKWh: number | null = null): EarningsRow[] {
  return summaries.map((s) => {
    const trained = s.phases.includes('trained');
    const uploaded = s.phases.includes('uploaded');
    const rewarded = s.phases.includes('rewarded');
    let reward: string | null = s.reward ?? null;
    let reason: string | null = s.reason ?? null;
    if (!rewarded && !uploaded) {
      // Missed rounds never reach an epoch's payout: zero now, with the ledger's reason.
      reward = '0';
      reason ??= trained ? 'trained but not uploaded' : 'not trained this round';
    }
    if (reward === '0' && reason === null) reason = 'the epoch paid nothing for this round';
    if (reward !== null && reward !== '0' && !s.reason) reason = null;
    return {
      window: s.window,
      // When the round was trained; later lines (its payout) come an epoch after.
      at: s.firstAt,
      trained,
      uploaded,
      applied: s.phases.includes('applied'),
      score: s.score ?? null,
      weight: s.weight ?? null,
      reward,
      reason,
      energyWh: s.energyWh ?? null,
      energySource: s.energySource ?? null,
      cost: s.energyWh !== undefined && pricePerKWh !== null ? (s.energyWh / 1000) * pricePerKWh : null,
    };
  });
}

/** Rao in one τ. */
const RAO_PER_TAO = 1e9;

/** The cost ledger over all rows: totals, per UTC day, and the τ price at which the rewards pay for the energy. */
export function costLedger(rows: readonly EarningsRow[], costs: CostSettings): EarningsReport['costs'] {
  const days = new Map<string, { reward: bigint; energyWh: number; cost: number | null }>();
  for (const row of rows) {
    const day = new Date(row.at).toISOString().slice(0, 10);
    const entry = days.get(day) ?? { reward: 0n, energyWh: 0, cost: costs.pricePerKWh === null ? null : 0 };
    entry.reward += BigInt(row.reward ?? '0');
    entry.energyWh += row.energyWh ?? 0;
    if (entry.cost !== null) entry.cost += row.cost ?? 0;
    days.set(day, entry);
  }
  const energyWh = rows.reduce((sum, r) => sum + (r.energyWh ?? 0), 0);
  const cost = costs.pricePerKWh === null ? null : (energyWh / 1000) * costs.pricePerKWh;
  const earnedTao = Number(rows.reduce((sum, r) => sum + BigInt(r.reward ?? '0'), 0n)) / RAO_PER_TAO;
  const taoPrice = costs.taoPrice ?? null;
  const worth = (rao: bigint) => (taoPrice === null ? null : (Number(rao) / RAO_PER_TAO) * taoPrice);
  return {
    currency: costs.currency,
    pricePerKWh: costs.pricePerKWh,
    energyWh,
    cost,
    taoPrice,
    earnedValue: taoPrice === null ? null : earnedTao * taoPrice,
    days: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, d]) => ({ day, reward: d.reward.toString(), earnedValue: worth(d.reward), energyWh: d.energyWh, cost: d.cost })),
    breakEvenPerTao: cost !== null && cost > 0 && earnedTao > 0 ? cost / earnedTao : null,
  };
}

/** Rows plus reconciliation against what the chain says it paid. */
export function earningsReport(summaries: readonly RoundSummary[], payouts: readonly EpochPayout[] | null, limit = Infinity, costs: CostSettings = { pricePerKWh: null, currency: 'EUR', machineWatts: null, taoPrice: null }): EarningsReport {
  const rows = earningsRows(summaries, costs.pricePerKWh);
  const ledgerTotal = rows.reduce((sum, r) => sum + BigInt(r.reward ?? '0'), 0n);
  const chainTotal = payouts === null ? null : payouts.reduce((sum, p) => sum + BigInt(p.emission), 0n);
  return {
    rows: rows.slice(-limit),
    ledgerTotal: ledgerTotal.toString(),
    chainTotal: chainTotal === null ? null : chainTotal.toString(),
    reconciled: chainTotal === null ? null : chainTotal === ledgerTotal,
    pendingRounds: rows.filter((r) => r.reward === null).length,
    costs: costLedger(rows, costs),
  };
}
