import { resolveTarget } from '../../adapters/subtensor/networks';
import { SubtensorChain } from '../../adapters/subtensor/subtensor-chain';
import type { ChainPort, ChainWriter } from '../../ports/chain-port';

/** A chain the Chain page follows: it always reads; it writes where the chain accepts writes from this app. */
export type OpenedChain = ChainPort & Partial<ChainWriter>;

/** Subtensor for a network name or URL; null for the devnet, which has no node. */
export async function openSubtensor(target: string): Promise<OpenedChain | null> {
  const resolved = resolveTarget(target);
  if (resolved.kind === 'devnet') return null;
  return SubtensorChain.open({ name: resolved.name, endpoint: resolved.url });
}
