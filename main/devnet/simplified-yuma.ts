/**
 * The devnet's stand-in for Yuma consensus, shared by the in-process devnet
 * chain and the devnet node: each permitted validator's weights are
 * normalised to sum 1, and a miner's incentive is the stake-weighted mean of
 * them. No clipping to consensus, no bonds: enough for rank and rewards to
 * follow what validators say, without subtensor's full epoch.
 */
export interface VotingValidator {
  uid: number;
  /** Stake in any unit; only the ratios between validators matter. */
  stake: number;
  /** Miner uid -> weight (any non-negative scale). */
  weights: Iterable<readonly [number, number]>;
}

export interface SimplifiedYuma {
  /** Miner uid -> incentive; the values sum to 1 when any validator voted, else the map is empty. */
  incentive: Map<number, number>;
  /** Validator uid -> its share of the validators' stake among those that voted (sums to 1). */
  dividends: Map<number, number>;
}

export function simplifiedYuma(validators: readonly VotingValidator[]): SimplifiedYuma {
  const voting = validators
    .map((v) => ({ ...v, rows: [...v.weights].filter(([, w]) => Number.isFinite(w) && w > 0) }))
    .filter((v) => v.stake > 0 && v.rows.length > 0);
  const totalStake = voting.reduce((sum, v) => sum + v.stake, 0);
  const incentive = new Map<number, number>();
  const dividends = new Map<number, number>();
  if (totalStake <= 0) return { incentive, dividends };
  for (const v of voting) {
    const share = v.stake / totalStake;
    dividends.set(v.uid, share);
    const rowSum = v.rows.reduce((sum, [, w]) => sum + w, 0);
    for (const [uid, w] of v.rows) incentive.set(uid, (incentive.get(uid) ?? 0) + share * (w / rowSum));
  }
  return { incentive, dividends };
}
