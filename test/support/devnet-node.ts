import path from 'node:path';
import { SubtensorChain } from '../../main/chain/subtensor/subtensor-chain';
import { DevnetNode, type DevnetNodeOptions } from '../../main/devnet/node/devnet-node';

export const TAO = 1_000_000_000n;
export const NODE_NETUID = 3;
export const NODE_FEE = 125_000n;

/** A devnet node for a test: fast blocks (100 ms) and a short tempo (an epoch every 5 blocks). */
export function startTestNode(dir: string, overrides: Partial<DevnetNodeOptions> = {}): Promise<DevnetNode> {
  return DevnetNode.start({
    stateFile: path.join(dir, 'chain.json'),
    netuid: NODE_NETUID,
    blockMs: 100,
    tempo: 4,
    burn: TAO,
    emissionPerTempo: TAO,
    fee: NODE_FEE,
    ...overrides,
  });
}

/** The real client, joined to the node as it joins finney. */
export function joinNode(node: DevnetNode): Promise<SubtensorChain> {
  return SubtensorChain.open({ name: 'devnet', endpoint: node.url, readyTimeoutMs: 20_000, inclusionTimeoutMs: 20_000, backoff: { initialMs: 20, maxMs: 200 } });
}
