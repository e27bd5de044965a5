import { describe, expect, it } from 'vitest';
import { ChainService } from '../../../main/services/chain/chain-service';
import { SubtensorChain } from '../../../main/adapters/subtensor/subtensor-chain';
import type { DevnetNode } from '../../../main/devnet/node/devnet-node';
import { devSigner } from '../../support/dev-signer';
import { devnetNodeHarness, NODE_NETUID, TAO } from '../../support/devnet-node';
import { until } from '../../support/devnet-peers';

/**
 * The Dashboard's rank and rewards on the devnet: the chain module follows
 * the devnet's node through SubtensorChain, as it follows finney, once the
 * node runs (it starts with the run).
 */
describe('devnet rank and rewards through the chain service', () => {
  const harness = devnetNodeHarness();

  it('says what to do before the devnet runs, then follows this machine\u2019s key epoch by epoch', async () => {
    const { node, chain } = await harness.joined();
    let running: DevnetNode | null = null;
    const me = devSigner('//Me');
    const service = new ChainService({
      dataDir: harness.tempDir(),
      open: async (target) => (target === 'devnet' && running ? SubtensorChain.open({ name: 'devnet', endpoint: running.url }) : null),
      selfHotkey: () => me.address,
      netuidFor: () => NODE_NETUID,
      refreshEveryBlocks: 1,
    });
    harness.track(() => service.disconnect());

    await service.connect('devnet');
    const before = service.status();
    expect(before.health).toMatchObject({ state: 'idle' });
    expect(before.health.state === 'idle' && before.health.reason).toMatch(/joins the run/);
    expect(before.me).toBeNull();

    // The devnet's validator stakes for its permit; this machine and another miner register by extrinsics.
    const ferdie = devSigner('//Ferdie');
    await chain.register(NODE_NETUID, ferdie.address, ferdie);
    await chain.addStake(ferdie.address, NODE_NETUID, 1000n * TAO, ferdie);
    await node.endow(me.address, 10n * TAO);
    const myUid = await chain.register(NODE_NETUID, me.address, me);
    const alice = devSigner('//Alice');
    const aliceUid = await chain.register(NODE_NETUID, alice.address, alice);
    await until(async () => (await chain.metagraph(NODE_NETUID)).neurons.some((n) => n.hotkey === ferdie.address && n.validatorPermit), () => 'no validator permit yet');

    running = node;
    await service.disconnect();
    await service.connect('devnet');
    expect(service.status().health).toMatchObject({ state: 'connected' });
    expect(service.status().me).toMatchObject({ hotkey: me.address, registered: true, uid: myUid });

    // This machine scores lower than the other miner: at the next epoch it ranks second and is paid its share.
    await chain.setWeights(NODE_NETUID, new Map([[myUid, 1], [aliceUid, 3]]), ferdie);
    await until(
      async () => {
        await service.refresh(true);
        return BigInt(service.status().me?.cumulativeRewards ?? '0') > 0n;
      },
      () => `rewards so far: ${JSON.stringify(service.status().me)}`,
    );
    const mine = service.status().me!;
    expect(mine.rank).toEqual({ rank: 2, of: 2 });
    expect(mine.incentive).toBeCloseTo(0.25, 2);
    const paid = mine.recentRewards.filter((r) => BigInt(r.emission) > 0n);
    expect(paid.length).toBeGreaterThan(0);
    expect(paid.every((r) => r.rank === 2)).toBe(true);
    expect(BigInt(mine.cumulativeRewards)).toBe(mine.recentRewards.reduce((sum, r) => sum + BigInt(r.emission), 0n));
  }, 60_000);
});
