import { simplifiedYuma } from '../simplified-yuma';
import type { NodeState } from './node-state';

const U16_MAX = 65535;

/**
 * Subtensor runs a subnet's epoch in the block where
 * (block + netuid + 1) % (tempo + 1) == 0 (tempoIndex in main/services/chain/rewards.ts
 * is the client's side of the same formula).
 */
export function isEpochBlock(block: number, netuid: number, tempo: number): boolean {
  return (block + netuid + 1) % (tempo + 1) === 0;
}

/** Half of a tempo's emission goes to miners by incentive, half to validators by dividends (no owner cut). */
const MINER_SHARE = 0.5;

const toU16 = (fraction: number) => Math.min(U16_MAX, Math.max(0, Math.round(fraction * U16_MAX)));

/**
 * One epoch of the subnet, in place: validator permits go to the top
 * maxAllowedValidators neurons by stake (stake > 0); then the permitted
 * validators' weights give incentive and dividends (simplified Yuma); the
 * tempo's emission is paid by them and credited to each hotkey's alpha stake,
 * as dTAO does.
 */
export function runEpoch(state: NodeState): void {
  const { maxAllowedValidators, emissionPerTempo } = state.hyperparameters;
  const byStake = state.neurons
    .filter((n) => BigInt(n.stake) > 0n)
    .sort((a, b) => (BigInt(b.stake) > BigInt(a.stake) ? 1 : BigInt(b.stake) < BigInt(a.stake) ? -1 : a.uid - b.uid));
  const permitted = new Set(byStake.slice(0, maxAllowedValidators).map((n) => n.uid));
  for (const n of state.neurons) n.validatorPermit = permitted.has(n.uid);

  const uids = new Set(state.neurons.map((n) => n.uid));
  const { incentive, dividends } = simplifiedYuma(
    state.neurons
      .filter((n) => n.validatorPermit)
      .map((n) => ({ uid: n.uid, stake: Number(BigInt(n.stake)), weights: (state.weights[String(n.uid)] ?? []).filter(([uid]) => uids.has(uid)) })),
  );

  const total = Number(BigInt(emissionPerTempo));
  for (const n of state.neurons) {
    const minerPart = (incentive.get(n.uid) ?? 0) * total * MINER_SHARE;
    const validatorPart = (dividends.get(n.uid) ?? 0) * total * (1 - MINER_SHARE);
    const emission = BigInt(Math.floor(minerPart)) + BigInt(Math.floor(validatorPart));
    n.incentive = toU16(incentive.get(n.uid) ?? 0);
    n.consensus = n.incentive;
    n.dividends = toU16(dividends.get(n.uid) ?? 0);
    n.emission = emission.toString();
    n.stake = (BigInt(n.stake) + emission).toString();
  }
}
