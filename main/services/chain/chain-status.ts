import type { ChainHealth, Neuron } from '../../ports/chain-port';
import type { Immunity } from './immunity';

/**
 * What the Chain page shows of the followed chain and this machine's hotkey
 * on it. Amounts are strings of rao: bigints do not cross the contract.
 */

export interface RewardView {
  tempoIndex: number;
  block: number;
  emission: string;
  incentive: number;
  rank: number | null;
}

export interface ChainStatusData {
  target: string;
  endpoint: string | null;
  netuid: number;
  health: ChainHealth | { state: 'idle'; reason: string };
  block: number | null;
  specVersion: number | null;
  subnetSize: number | null;
  blockSeconds: number | null;
  immunityPeriodBlocks: number | null;
  metagraphBlock: number | null;
  me: {
    hotkey: string;
    registered: boolean;
    uid: number | null;
    rank: { rank: number; of: number } | null;
    incentive: number | null;
    emissionPerTempo: string | null;
    stake: string | null;
    cumulativeRewards: string;
    recentRewards: RewardView[];
    immunity: Immunity | null;
  } | null;
  coldkeyBalance: string | null;
  lastError: string | null;
}

/** The status of a target before anything is known of it. */
export function blankStatus(target: string, health: ChainStatusData['health'], endpoint: string | null = null, netuid = 0): ChainStatusData {
  return { target, endpoint, netuid, health, block: null, specVersion: null, subnetSize: null, blockSeconds: null, immunityPeriodBlocks: null, metagraphBlock: null, me: null, coldkeyBalance: null, lastError: null };
}

/** A neuron as the contract carries it. */
export function neuronView(n: Neuron) {
  return { ...n, stake: n.stake.toString(), emission: n.emission.toString() };
}
