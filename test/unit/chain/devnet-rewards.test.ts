import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChainService } from '../../../main/chain/chain-service';
import { DevnetChain } from '../../../main/devnet/devnet-chain';
import { DevnetChainLink } from '../../../main/devnet/devnet-chain-link';
import { makeTempDir } from '../../support/temp-dir';
import { devSigner } from '../../support/dev-signer';

const signer = devSigner;

/** The Dashboard's rank and rewards on the devnet: the chain module reads them from the joined devnet's chain. */
describe('devnet rank and rewards through the chain service', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let now: number;
  let chain: DevnetChain;
  let link: DevnetChainLink;
  let service: ChainService;

  beforeAll(async () => {
    await cryptoWaitReady();
  });
  beforeEach(async () => {
    temp = makeTempDir();
    now = 1_000_000;
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 1000, tempo: 10, minerEmissionPerTempo: 1_000_000_000n, now: () => now });
    link = new DevnetChainLink();
    service = new ChainService({
      dataDir: temp.dir,
      open: async (target) => (target === 'devnet' ? link.borrow() : null),
      selfHotkey: (target) => (target === 'devnet' ? link.hotkey : null),
      now: () => now,
    });
  });
  afterEach(async () => {
    await service.disconnect();
    await chain.close();
    temp.cleanup();
  });

  it('says what to do before the devnet runs, then follows this machine’s devnet key per epoch', async () => {
    await service.connect('devnet');
    const before = service.status();
    expect(before.health).toMatchObject({ state: 'idle' });
    expect(before.health.state === 'idle' && before.health.reason).toMatch(/joins the run/);
    expect(before.me).toBeNull();

    const validator = signer('//Ferdie');
    const me = signer('//Me');
    const other = signer('//Alice');
    await chain.register(3, validator.address, validator, { validator: true });
    const myUid = await chain.register(3, me.address, me);
    const otherUid = await chain.register(3, other.address, other);
    link.attach({ chain, hotkey: me.address });
    await service.disconnect();
    await service.connect('devnet');
    expect(service.status().health).toMatchObject({ state: 'connected' });
    expect(service.status().me).toMatchObject({ hotkey: me.address, registered: true, uid: myUid, cumulativeRewards: '0' });

    // Epoch 1: this machine scores lower than the other miner.
    await chain.setWeights(3, new Map([[myUid, 1], [otherUid, 3]]), validator);
    now += 10_000;
    await service.refresh(true);
    expect(service.status().me?.rank).toEqual({ rank: 2, of: 2 });
    expect(service.status().me?.cumulativeRewards).toBe('250000000');

    // Epoch 2: better; the history holds one entry per epoch, with its rank.
    await chain.setWeights(3, new Map([[myUid, 3], [otherUid, 1]]), validator);
    now += 10_000;
    await service.refresh(true);
    await service.refresh(true);
    const mine = service.status().me;
    expect(mine?.rank).toEqual({ rank: 1, of: 2 });
    expect(mine?.cumulativeRewards).toBe('1000000000');
    // Index 0 is the stretch before the first epoch: read at join, nothing paid yet.
    expect(mine?.recentRewards.map((r) => [r.tempoIndex, r.emission, r.rank])).toEqual([
      [0, '0', 1],
      [1, '250000000', 2],
      [2, '750000000', 1],
    ]);
    expect(service.rewards(10).cumulative).toBe('1000000000');

    // Closing the service lets go of the devnet chain without closing it: the runtime still owns it.
    await service.disconnect();
    expect(await chain.metagraph(3)).toMatchObject({ netuid: 3 });
  });
});
