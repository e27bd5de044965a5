/**
 * Where each named network lives. `devnet` is the local practice ledger
 * (main/devnet), not a subtensor node, so it has no endpoint here.
 */
export interface KnownNetwork {
  name: 'finney' | 'test' | 'local';
  url: string;
  /** Genesis hash, where it is known, to tell a wrong chain from the right one. */
  genesisHash?: string;
  /** The training subnet on that network (protocol facts: finney netuid 3, testnet 223). */
  netuid: number;
}

export const NETWORKS: Record<KnownNetwork['name'], KnownNetwork> = {
  finney: {
    name: 'finney',
    url: 'wss://entrypoint-finney.opentensor.ai:443',
    genesisHash: '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03',
    netuid: 3,
  },
  test: { name: 'test', url: 'wss://test.finney.opentensor.ai:443', netuid: 223 },
  local: { name: 'local', url: 'ws://127.0.0.1:9944', netuid: 3 },
};

export type ResolvedTarget =
  | { kind: 'devnet' }
  /** netuid: the known network's training subnet; null for a URL, whose run (its manifest) names the subnet. */
  | { kind: 'subtensor'; name: string; url: string; genesisHash?: string | undefined; netuid: number | null };

/** A network name or a ws:// / wss:// URL; anything else is an error naming what is accepted. */
export function resolveTarget(target: string): ResolvedTarget {
  if (target === 'devnet') return { kind: 'devnet' };
  if (target === 'finney' || target === 'test' || target === 'local') {
    const known = NETWORKS[target];
    return { kind: 'subtensor', name: known.name, url: known.url, genesisHash: known.genesisHash, netuid: known.netuid };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`unknown network "${target}": use devnet, local, test, finney or a ws:// or wss:// URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`unsupported network URL "${target}": only ws:// and wss:// endpoints are supported`);
  const known = Object.values(NETWORKS).find((n) => n.url === target);
  return { kind: 'subtensor', name: known?.name ?? target, url: target, genesisHash: known?.genesisHash, netuid: known?.netuid ?? null };
}
