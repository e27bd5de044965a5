import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rankByIncentive, type ChainSigner } from '../../../main/ports/chain-port';
import { DevnetChain } from '../../support/devnet-chain';
import { makeTempDir } from '../../support/temp-dir';
import { devSigner } from '../../support/dev-signer';

const signer = devSigner;

describe('DevnetChain', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let now: number;
  let chain: DevnetChain;
  const open = () =>
    DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 1000, tempo: 10, minerEmissionPerTempo: 1_000_000_000n, now: () => now });

  beforeAll(async () => {
    await cryptoWaitReady();
  });
  beforeEach(async () => {
    temp = makeTempDir();
    now = 1_000_000;
    chain = await open();
  });
  afterEach(async () => {
    await chain.close();
    temp.cleanup();
  });

  it('counts blocks from wall-clock time since genesis', async () => {
    expect(await chain.blockNumber()).toBe(0);
    now += 5_500;
    expect(await chain.blockNumber()).toBe(5);
  });

  it('tells the time of any block made so far, the same as its subscribers heard, and refuses one not made yet', async () => {
    const heard: Array<{ number: number; timestamp: number }> = [];
    const unsubscribe = await chain.subscribeBlocks((b) => heard.push(b));
    now += 3_200;
    await expect.poll(() => heard.at(-1)?.number).toBe(3);
    unsubscribe();
    // Genesis at 1 000 000 ms, a block every second.
    expect(await chain.blockTimestamp(0)).toBe(1_000_000);
    expect(await chain.blockTimestamp(2)).toBe(1_002_000);
    expect(await chain.blockTimestamp(3)).toBe(heard.at(-1)!.timestamp);
    await expect(chain.blockTimestamp(4)).rejects.toThrow('block 4 is not made yet (the devnet is at block 3)');
    await expect(chain.blockTimestamp(-1)).rejects.toThrow(/no block -1/);
    await expect(chain.blockTimestamp(1.5)).rejects.toThrow(/no block 1.5/);
  });

  it('registers hotkeys, reads the metagraph and commitments', async () => {
    const alice = signer('//Alice');
    const bob = signer('//Bob');
    expect(await chain.register(3, alice.address, alice)).toBe(0);
    expect(await chain.register(3, bob.address, bob)).toBe(1);
    expect(await chain.register(3, alice.address, alice)).toBe(0);
    expect(await chain.uidOf(3, bob.address)).toBe(1);
    expect(await chain.uidOf(3, signer('//Charlie').address)).toBeNull();
    await chain.commit(3, 'fs:/peers/1', bob);
    expect((await chain.commitments(3)).get(bob.address)).toEqual({ hotkey: bob.address, data: 'fs:/peers/1', block: 0, fields: [new TextEncoder().encode('fs:/peers/1')] });
    // Raw fields, as on subtensor: kept byte for byte, across a restart too.
    const fields = [new TextEncoder().encode('s3:'), Uint8Array.from([0, 200, 7])];
    await chain.commit(3, fields, alice);
    await chain.close();
    chain = await open();
    expect((await chain.commitments(3)).get(alice.address)?.fields).toEqual(fields);
    const graph = await chain.metagraph(3);
    expect(graph.neurons.map((n) => n.hotkey)).toEqual([alice.address, bob.address]);
  });

  it('turns validator weights into incentive, emission, rewards and rank once per tempo', async () => {
    const v = signer('//Alice');
    const m1 = signer('//Bob');
    const m2 = signer('//Charlie');
    await chain.register(3, v.address, v, { validator: true });
    const u1 = await chain.register(3, m1.address, m1);
    const u2 = await chain.register(3, m2.address, m2);
    await chain.setWeights(3, new Map([[u1, 3], [u2, 1]]), v);
    // No epoch has passed yet: nothing is paid.
    expect(chain.rewardsOf(m1.address)).toBe(0n);
    now += 10_000;
    const graph = await chain.metagraph(3);
    const byUid = new Map(graph.neurons.map((n) => [n.uid, n]));
    expect(byUid.get(u1)?.incentive).toBeCloseTo(0.75);
    expect(byUid.get(u2)?.incentive).toBeCloseTo(0.25);
    expect(byUid.get(u1)?.emission).toBe(750_000_000n);
    expect(chain.rewardsOf(m2.address)).toBe(250_000_000n);
    expect(rankByIncentive(graph.neurons, u1)).toEqual({ rank: 1, of: 2 });
    expect(rankByIncentive(graph.neurons, u2)).toEqual({ rank: 2, of: 2 });
    // Two more tempos pay twice more.
    now += 20_000;
    await chain.blockNumber();
    expect(chain.rewardsOf(m1.address)).toBe(2_250_000_000n);
  });

  it('refuses a forged signature, weights without a permit, and the wrong subnet', async () => {
    const alice = signer('//Alice');
    const bob = signer('//Bob');
    await chain.register(3, alice.address, alice);
    const forged: ChainSigner = { address: alice.address, sign: bob.sign };
    await expect(chain.commit(3, 'x', forged)).rejects.toThrow(/bad signature/);
    await expect(chain.setWeights(3, new Map([[0, 1]]), alice)).rejects.toThrow(/no validator permit/);
    await expect(chain.metagraph(4)).rejects.toThrow(/subnet 3, not 4/);
    await expect(chain.commit(3, 'x', bob)).rejects.toThrow(/not registered/);
  });

  it('keeps its state across a restart', async () => {
    const alice = signer('//Alice');
    await chain.register(3, alice.address, alice);
    now += 3000;
    await chain.close();
    chain = await open();
    expect(await chain.uidOf(3, alice.address)).toBe(0);
    expect(await chain.blockNumber()).toBe(3);
  });

  it('pushes new blocks to subscribers', async () => {
    const seen: number[] = [];
    const realChain = await DevnetChain.open({ file: path.join(temp.dir, 'live.json'), netuid: 3, blockMs: 20, tempo: 100, minerEmissionPerTempo: 1n });
    const unsubscribe = await realChain.subscribeBlocks((b) => seen.push(b.number));
    await new Promise((r) => setTimeout(r, 200));
    unsubscribe();
    await realChain.close();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
