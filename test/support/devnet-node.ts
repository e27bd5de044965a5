import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll } from 'vitest';
import { SubtensorChain } from '../../main/adapters/subtensor/subtensor-chain';
import { DevnetNode, type DevnetNodeOptions } from '../../main/devnet/node/devnet-node';
import { makeTempDir } from './temp-dir';

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

/**
 * For a describe block: `joined()` starts a node in a fresh folder and joins
 * it with SubtensorChain; `track()` adds a cleanup. Everything is closed and
 * removed after each test, newest first.
 */
export function devnetNodeHarness() {
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    await cryptoWaitReady();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = (cleanup: () => Promise<void> | void) => cleanups.push(cleanup);
  return {
    track,
    /** A fresh folder, removed after the test. */
    tempDir(): string {
      const temp = makeTempDir();
      track(() => temp.cleanup());
      return temp.dir;
    },
    async joined(overrides: Partial<DevnetNodeOptions> = {}) {
      const dir = this.tempDir();
      const node = await startTestNode(dir, overrides);
      track(() => node.close());
      const chain = await joinNode(node);
      track(() => chain.close());
      return { dir, node, chain };
    },
  };
}
