import type { Neuron } from '../../ports/chain-port';

/**
 * A registered neuron cannot be replaced for `ImmunityPeriod` blocks after it
 * registered. After that, when the subnet is full (MaxAllowedUids) and
 * someone registers, the chain replaces the neuron with the lowest incentive
 * among those past their immunity (the earliest registered on a tie). This is
 * what a newcomer pays its burn for, and loses when it is deregistered.
 */
export interface Immunity {
  /** The subnet's immunity period, in blocks. */
  periodBlocks: number;
  /** The block from which this neuron can be replaced. */
  endsAtBlock: number;
  /** Blocks until then (0 once it has ended). */
  blocksLeft: number;
  /**
   * Whether, with the incentives as they are, this neuron is (or, once its
   * immunity ends, would be) the one the next registration replaces: the
   * subnet is full and its incentive is the lowest among the replaceable.
   */
  atRisk: boolean;
}

export function immunityOf(neurons: readonly Neuron[], uid: number, block: number, periodBlocks: number, maxUids: number | null): Immunity | null {
  const me = neurons.find((n) => n.uid === uid);
  if (!me || me.registeredAt === null) return null;
  const endsAtBlock = me.registeredAt + periodBlocks;
  const replaceable = (n: Neuron) => n.uid === uid || (n.registeredAt !== null && block - n.registeredAt >= periodBlocks);
  const full = maxUids !== null && neurons.length >= maxUids;
  // The chain's pick among the replaceable, this neuron counted as if its immunity had ended.
  const next = full ? [...neurons].filter(replaceable).sort((a, b) => a.incentive - b.incentive || (a.registeredAt ?? 0) - (b.registeredAt ?? 0))[0] : undefined;
  return { periodBlocks, endsAtBlock, blocksLeft: Math.max(0, endsAtBlock - block), atRisk: next?.uid === uid };
}
