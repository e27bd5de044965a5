import type { Neuron } from '../../ports/chain-port';

/**
 * Whether a neuron is a miner, whose updates may be aggregated. A validator
 * permit alone does not say: subtensor gives permits to the top stake holders,
 * and on a small subnet that is every neuron holding any stake, miners paid in
 * stake included. Miners are known by their storage commitment (validators
 * publish none), where the caller knows the commitments; else by no permit.
 */
export function isMiner(neuron: Neuron, committed?: ReadonlySet<string>): boolean {
  return !neuron.validatorPermit || (committed?.has(neuron.hotkey) ?? false);
}

/**
 * Whose updates go into a window's aggregate. Once validators have set
 * weights, only miners with incentive count, best first: a peer the
 * validators penalised (a copier, a poisoner, a peer that went quiet) stops
 * reaching the global model at the next epoch. Before any weights exist every
 * miner counts, in uid order. Miners and validators use the same rule, so
 * they apply the same aggregate and stay on the same model.
 */
export function aggregationCandidates(neurons: readonly Neuron[], excludeUid: number | null = null, committed?: ReadonlySet<string>): Neuron[] {
  const miners = neurons.filter((n) => isMiner(n, committed));
  const weighted = minersWeighted(neurons, committed);
  return miners
    .filter((n) => n.uid !== excludeUid && (!weighted || n.incentive > 0))
    .sort((a, b) => (weighted ? b.incentive - a.incentive : 0) || a.uid - b.uid);
}

/** Whether validators have weighed the miners yet (some miner has incentive): from then on only miners with incentive are aggregated. */
export function minersWeighted(neurons: readonly Neuron[], committed?: ReadonlySet<string>): boolean {
  return neurons.some((n) => isMiner(n, committed) && n.incentive > 0);
}
