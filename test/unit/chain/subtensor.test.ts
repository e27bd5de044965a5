import path from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rankByIncentive, type ChainHealth } from '../../../main/ports/chain-port';
import { checkNetwork } from '../../../main/adapters/subtensor/check-network';
import { ChainDispatchError } from '../../../main/adapters/subtensor/extrinsic-submission';
import { SubtensorChain, U16_MAX } from '../../../main/adapters/subtensor/subtensor-chain';
import { RewardHistory, tempoIndex } from '../../../main/services/chain/rewards';
import { pairFromUri, keysReady } from '../../../main/services/wallet/keys';
import { skippedUnless } from '../../support/skip-note';
import { makeTempDir } from '../../support/temp-dir';
import { FakeSubtensor, regularBlockTimestamp } from '../../support/fake-subtensor';
import { hasSubtensorFixtures, loadRuntime, recordedNeurons, SKIP_SUBTENSOR, type NeuronFixture, type SpecName } from '../../support/subtensor-fixtures';
import { StorageBuilder, subnetStorage } from '../../support/subtensor-storage';

const NETUID = 1;
const needsFixtures = skippedUnless(hasSubtensorFixtures, SKIP_SUBTENSOR);

/** Rank computed independently of the client: miners (no permit) ordered by raw incentive, ties share. */
function expectedRank(neurons: NeuronFixture[], uid: number): { rank: number; of: number } {
  const self = neurons.find((n) => n.uid === uid) as NeuronFixture;
  const miners = neurons.filter((n) => !n.validatorPermit || n.uid === uid);
  return { rank: miners.filter((n) => n.incentive > self.incentive).length + 1, of: miners.length };
}

describe.skipIf(!hasSubtensorFixtures)(`subtensor client against a fake node with real metadata${needsFixtures}`, () => {
  const servers: FakeSubtensor[] = [];
  const chains: SubtensorChain[] = [];
  afterEach(async () => {
    for (const chain of chains.splice(0)) await chain.close();
    for (const server of servers.splice(0)) await server.close();
  });

  async function startNode(spec: SpecName, neurons: NeuronFixture[], extra: Parameters<typeof subnetStorage>[3] = {}) {
    const runtime = loadRuntime(spec);
    const builder = subnetStorage(new StorageBuilder(runtime), NETUID, neurons, extra);
    const server = await FakeSubtensor.start({ runtime, storage: builder.entries });
    servers.push(server);
    return { server, builder, runtime };
  }

  async function open(server: FakeSubtensor, backoff = { initialMs: 20, maxMs: 200 }) {
    const chain = await SubtensorChain.open({ name: 'fake', endpoint: server.url, readyTimeoutMs: 20_000, backoff });
    chains.push(chain);
    return chain;
  }

  // The real finney netuid-1 metagraph at block 6852690, decoded from the recorded runtime-API answer.
  const real = hasSubtensorFixtures ? recordedNeurons() : [];

  it('the recorded metagraph is real data worth testing with', () => {
    expect(real.length).toBeGreaterThan(100);
    expect(real.some((n) => n.incentive > 0)).toBe(true);
    expect(real.some((n) => n.validatorPermit)).toBe(true);
  });

  for (const spec of [343, 424] as const) {
    it(`spec ${spec}: reads the metagraph (uids, hotkeys, coldkeys, incentive, emission, consensus, stake) and computes rank`, async () => {
      // Poison the Rank storage where it still exists: the client must never use it.
      const neurons = real.map((n) => ({ ...n, chainRank: U16_MAX - n.incentive }));
      const { server } = await startNode(spec, neurons);
      const chain = await open(server);
      const features = chain.runtimeFeatures();
      expect(features.specVersion).toBe(spec);
      expect(features.hasRankStorage).toBe(spec === 343);
      expect(features.stakeSource).toBe('TotalHotkeyAlpha');

      const metagraph = await chain.metagraph(NETUID);
      expect(metagraph.block).toBe(server.blockNumber);
      expect(metagraph.neurons).toHaveLength(neurons.length);
      for (const n of neurons) {
        const got = metagraph.neurons[n.uid];
        expect(got?.uid).toBe(n.uid);
        expect(got?.hotkey).toBe(n.hotkey);
        expect(got?.coldkey).toBe(n.coldkey);
        expect(got?.incentive).toBeCloseTo(n.incentive / U16_MAX, 12);
        expect(got?.consensus).toBeCloseTo(n.consensus / U16_MAX, 12);
        expect(got?.emission).toBe(n.emission);
        expect(got?.stake).toBe(n.stake);
        expect(got?.validatorPermit).toBe(n.validatorPermit);
        expect(got?.lastUpdate).toBe(n.lastUpdate);
        expect(got?.registeredAt).toBe(n.registeredAt);
      }
      // Rank among miners, from incentive: check the best miner and a few others against an independent count.
      const best = neurons.filter((n) => !n.validatorPermit).sort((a, b) => b.incentive - a.incentive)[0] as NeuronFixture;
      expect(rankByIncentive(metagraph.neurons, best.uid)?.rank).toBe(1);
      for (const n of neurons.filter((_, i) => i % 97 === 0)) expect(rankByIncentive(metagraph.neurons, n.uid)).toEqual(expectedRank(neurons, n.uid));

      // Never reads Rank, even where it exists.
      const rankPrefix = new StorageBuilder(loadRuntime(343)).key('subtensorModule', 'rank', NETUID).slice(0, 66);
      expect(server.storageKeysRead().some((k) => k.startsWith(rankPrefix))).toBe(false);

      expect(await chain.uidOf(NETUID, best.hotkey)).toBe(best.uid);
      expect(await chain.uidOf(NETUID, pairFromUri('//Nobody').address)).toBeNull();
      expect(await chain.subnetExists(NETUID)).toBe(true);
      expect(await chain.subnetExists(99)).toBe(false);
      expect(await chain.tempo(NETUID)).toBe(360);
    }, 60_000);
  }

  it('spec 424 (no Rank/Trust storage): rewards per tempo and cumulative, kept locally across restarts', async () => {
    await keysReady();
    const me = pairFromUri('//Miner').address;
    const others: NeuronFixture[] = real.slice(0, 8).map((n, i) => ({ ...n, uid: i, incentive: 1000 * (i + 1), validatorPermit: i === 7 }));
    const mine = (incentive: number, emission: bigint): NeuronFixture => ({ ...(others[0] as NeuronFixture), uid: 8, hotkey: me, incentive, emission, validatorPermit: false });
    const tempo = 9;
    const { server, builder } = await startNode(424, [...others, mine(3500, 100n)], { tempo });
    const chain = await open(server);
    const temp = makeTempDir();
    try {
      let history = await RewardHistory.load(temp.dir, { network: 'fake', netuid: NETUID, hotkey: me });
      const m1 = await chain.metagraph(NETUID);
      expect(rankByIncentive(m1.neurons, 8)).toEqual({ rank: 5, of: 8 }); // incentives above 3500: 4000..7000 (uid 7 is a validator)
      expect(await history.observe(m1, tempo)).toBe(true);
      expect(await history.observe(m1, tempo)).toBe(false); // same tempo: once only

      // Next tempo: the chain pays a new emission and incentive rises.
      const nextTempoStart = (tempoIndex(server.blockNumber, NETUID, tempo) + 1) * (tempo + 1) - NETUID - 1;
      while (server.blockNumber < nextTempoStart) server.produceBlock();
      subnetStorage(builder, NETUID, [...others, mine(6500, 250n)], { tempo });
      const m2 = await chain.metagraph(NETUID);
      expect(rankByIncentive(m2.neurons, 8)).toEqual({ rank: 2, of: 8 });
      expect(await history.observe(m2, tempo)).toBe(true);
      expect(history.cumulative()).toBe(350n);

      history = await RewardHistory.load(temp.dir, { network: 'fake', netuid: NETUID, hotkey: me });
      expect(history.entries.map((e) => [e.emission, e.rank])).toEqual([
        ['100', 5],
        ['250', 2],
      ]);
      expect(history.cumulative()).toBe(350n);
    } finally {
      temp.cleanup();
    }
  }, 60_000);

  it('follows new blocks (the window clock), each with its own timestamp even when the next one lands first', async () => {
    // Irregular block times, and blocks made back to back: a read of the
    // head's time would give a block its successor's.
    const irregular = (n: number) => regularBlockTimestamp(n) + (n % 4) * 2_500;
    const runtime = loadRuntime(424);
    const server = await FakeSubtensor.start({ runtime, storage: subnetStorage(new StorageBuilder(runtime), NETUID, real.slice(0, 4)).entries, blockTimestamp: irregular });
    servers.push(server);
    const chain = await open(server);
    const seen: Array<{ number: number; timestamp: number }> = [];
    const unsubscribe = await chain.subscribeBlocks((b) => seen.push(b));
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0));
    for (let i = 0; i < 4; i++) server.produceBlock();
    await vi.waitFor(() => expect(seen.map((b) => b.number)).toContain(server.blockNumber));
    expect(seen.length).toBeGreaterThan(1);
    for (const block of seen) expect(block.timestamp, `block ${block.number}`).toBe(irregular(block.number));
    unsubscribe();
  }, 30_000);

  it('reads a past block\'s time at that block\'s own hash, however irregular the block times, and refuses a block not made yet', async () => {
    // Blocks 12 s apart, but every seventh one 30 s late and some 1.5 or 3 s late: no fixed block time gives these back.
    const irregular = (n: number) => regularBlockTimestamp(n) + Math.floor(n / 7) * 30_000 + (n % 3) * 1_500;
    const runtime = loadRuntime(424);
    const server = await FakeSubtensor.start({ runtime, storage: subnetStorage(new StorageBuilder(runtime), NETUID, real.slice(0, 4)).entries, blockTimestamp: irregular });
    servers.push(server);
    const chain = await open(server);
    const first = server.blockNumber;
    for (let i = 0; i < 10; i++) server.produceBlock();
    const asked = [first, first + 3, first + 7, server.blockNumber];
    for (const n of asked) expect(await chain.blockTimestamp(n)).toBe(irregular(n));
    // Each was read in the state of its own block, not the head's.
    const timestampKey = new StorageBuilder(runtime).key('timestamp', 'now');
    const readAt = server.calls.filter((c) => c.method.startsWith('state_getStorage') && c.params[0] === timestampKey).map((c) => c.params[1]);
    expect(readAt).toEqual(expect.arrayContaining(asked.map((n) => server.blockHash(n))));
    await expect(chain.blockTimestamp(server.blockNumber + 1)).rejects.toThrow(`block ${server.blockNumber + 1} is not on fake yet`);
    await expect(chain.blockTimestamp(-1)).rejects.toThrow(/no block -1/);
  }, 30_000);

  it('reconnects after the node drops the socket, and says so in its health meanwhile', async () => {
    const { server } = await startNode(424, real.slice(0, 4));
    const chain = await open(server);
    const states: ChainHealth[] = [];
    chain.onHealth((h) => states.push(h));
    const seen: number[] = [];
    await chain.subscribeBlocks((b) => seen.push(b.number));
    expect(chain.health().state).toBe('connected');

    await server.pause(); // drop every socket and refuse new ones for a while
    await vi.waitFor(() => expect(chain.health().state).toBe('reconnecting'), { timeout: 10_000 });
    await vi.waitFor(() => expect((chain.health() as { attempt: number }).attempt).toBeGreaterThan(1), { timeout: 10_000 });
    await server.resume();
    await vi.waitFor(() => expect(chain.health().state).toBe('connected'), { timeout: 10_000 });
    expect(states.map((s) => s.state)).toContain('reconnecting');

    // The block subscription is back and reads work again.
    const target = server.produceBlock();
    await vi.waitFor(() => expect(seen).toContain(target), { timeout: 10_000 });
    expect((await chain.metagraph(NETUID)).neurons).toHaveLength(4);
  }, 60_000);

  it('estimates fees, registers (signed by the coldkey) and commits (signed by the hotkey)', async () => {
    await keysReady();
    const coldkey = pairFromUri('//Cold');
    const hotkey = pairFromUri('//Hot');
    const neurons = real.slice(0, 4);
    const runtime = loadRuntime(424);
    const builder = subnetStorage(new StorageBuilder(runtime), NETUID, neurons, { burn: 7_000_000n });
    const server = await FakeSubtensor.start({
      runtime,
      storage: builder.entries,
      fee: 123_456n,
      onSubmit: (ext) => {
        if (ext.method === 'burnedRegister') {
          builder.set('subtensorModule', 'uids', [NETUID, ext.args[1]], neurons.length);
          builder.set('subtensorModule', 'keys', [NETUID, neurons.length], ext.args[1]);
        }
      },
    });
    servers.push(server);
    const chain = await open(server);
    const estimate = await chain.estimate({ action: 'register', netuid: NETUID, hotkey: hotkey.address }, coldkey.address);
    expect(estimate).toEqual({ fee: 123_456n, burn: 7_000_000n });
    const signer = (pair: typeof coldkey) => ({ address: pair.address, sign: (m: Uint8Array) => Promise.resolve(pair.sign(m)) });

    expect(await chain.register(NETUID, hotkey.address, signer(coldkey))).toBe(neurons.length);
    await chain.commit(NETUID, 'bucket:abc123', signer(hotkey));
    expect(server.submitted.map((s) => [s.section, s.method, s.signer])).toEqual([
      ['subtensorModule', 'burnedRegister', coldkey.address],
      ['commitments', 'setCommitment', hotkey.address],
    ]);
    expect(JSON.stringify(server.submitted[1]?.args)).toContain(Buffer.from('bucket:abc123').toString('hex'));
  }, 60_000);
  it('transfers, stakes and commits raw fields; reads commitments field by field and the weights hyperparameters; a call that failed in its block rejects with its module error', async () => {
    await keysReady();
    const coldkey = pairFromUri('//Cold');
    const hotkey = pairFromUri('//Hot');
    const signer = (pair: typeof coldkey) => ({ address: pair.address, sign: (m: Uint8Array) => Promise.resolve(pair.sign(m)) });
    const neurons = real.slice(0, 3).map((n, i) => ({ ...n, uid: i }));
    const runtime = loadRuntime(424);
    const builder = subnetStorage(new StorageBuilder(runtime), NETUID, neurons);
    builder.set('subtensorModule', 'commitRevealWeightsEnabled', [NETUID], false);
    builder.set('subtensorModule', 'weightsVersionKey', [NETUID], 5);
    const bucket = new TextEncoder().encode('s3://b');
    const key = Uint8Array.from([0, 1, 2, 250]);
    builder.set('commitments', 'commitmentOf', [NETUID, neurons[0]!.hotkey], { deposit: 0, block: 77, info: { fields: [{ Raw6: u8aToHex(bucket) }, { Raw4: u8aToHex(key) }] } });
    const server = await FakeSubtensor.start({
      runtime,
      storage: builder.entries,
      onSubmit: (ext) => (ext.method === 'addStake' ? { dispatchError: { module: 'SubtensorModule', error: 'NotEnoughBalanceToStake' } } : undefined),
    });
    servers.push(server);
    const chain = await open(server);

    const commitment = (await chain.commitments(NETUID)).get(neurons[0]!.hotkey);
    expect(commitment).toEqual({ hotkey: neurons[0]!.hotkey, block: 77, data: `s3://b${String.fromCharCode(0, 1, 2)}\ufffd`, fields: [bucket, key] });
    expect(await chain.commitRevealEnabled(NETUID)).toBe(false);
    expect(await chain.commitRevealEnabled(NETUID + 1)).toBe(true); // the runtime's default for a subnet without the entry
    expect(await chain.weightsVersionKey(NETUID)).toBe(5n);

    await chain.transfer(hotkey.address, 123_456n, signer(coldkey));
    await chain.commit(NETUID, [bucket, key], signer(hotkey));
    await chain.setWeights(NETUID, new Map([[1, 2], [2, 1]]), signer(hotkey));
    const failed = await chain.addStake(hotkey.address, NETUID, 7n, signer(coldkey)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ChainDispatchError);
    expect((failed as Error).message).toMatch(/^SubtensorModule\.NotEnoughBalanceToStake: The caller is requesting adding more stake than there exists in the coldkey account/);
    expect(server.submitted.map((x) => [x.section, x.method, x.signer])).toEqual([
      ['balances', 'transferKeepAlive', coldkey.address],
      ['commitments', 'setCommitment', hotkey.address],
      ['subtensorModule', 'setWeights', hotkey.address],
      ['subtensorModule', 'addStake', coldkey.address],
    ]);
    const [transfer, commit, weights, stake] = server.submitted;
    expect(transfer?.args).toEqual([{ id: hotkey.address }, 123_456]);
    expect(commit?.args).toEqual([NETUID, { fields: [{ raw6: u8aToHex(bucket) }, { raw4: u8aToHex(key) }] }]);
    expect(weights?.args).toEqual([NETUID, [1, 2], [U16_MAX, Math.round(U16_MAX / 2)], 5]);
    expect(stake?.args).toEqual([hotkey.address, NETUID, 7]);

    // Commit-reveal on: the client refuses before signing anything, naming the hyperparameter.
    builder.set('subtensorModule', 'commitRevealWeightsEnabled', [NETUID], true);
    await expect(chain.setWeights(NETUID, new Map([[1, 1]]), signer(hotkey))).rejects.toThrow(/CommitRevealWeightsEnabled/);
    expect(server.submitted).toHaveLength(4);
    await expect(chain.commit(NETUID, [new Uint8Array(129)], signer(hotkey))).rejects.toThrow(/at most 128 bytes, not 129/);
  }, 60_000);
});

describe.skipIf(!hasSubtensorFixtures)(`checkNetwork${needsFixtures}`, () => {
  let server: FakeSubtensor;
  beforeAll(async () => {
    const runtime = loadRuntime(424);
    server = await FakeSubtensor.start({ runtime, storage: subnetStorage(new StorageBuilder(runtime), 3, recordedNeurons().slice(0, 3)).entries });
  });
  afterAll(async () => server.close());

  it('accepts a working endpoint with the subnet', async () => {
    const result = await checkNetwork(server.url, 3);
    expect(result).toMatchObject({ ok: true, specVersion: 424, netuid: 3, chain: 'Bittensor' });
  }, 30_000);

  it('netuid missing: one line naming the subnet', async () => {
    const result = await checkNetwork(server.url, 42);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/^netuid missing: subnet 42 does not exist/);
      expect(result.reason).not.toContain('\n');
    }
  }, 30_000);

  it('unreachable: one line', async () => {
    const stopped = await FakeSubtensor.start({ runtime: loadRuntime(424), storage: new Map() });
    const url = stopped.url;
    await stopped.close();
    const result = await checkNetwork(url, 3, { timeoutMs: 3000 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/^unreachable: /);
      expect(result.reason).not.toContain('\n');
    }
  }, 30_000);

  it('wrong chain: the genesis of a named network does not match, or no SubtensorModule', async () => {
    // A node claiming to be finney by URL is checked against finney's genesis.
    const runtime = loadRuntime(424);
    const other = await FakeSubtensor.start({ runtime, storage: new Map(), genesisHash: `0x${'ab'.repeat(32)}`, chainName: 'Some Other Chain' });
    try {
      const { NETWORKS } = await import('../../../main/adapters/subtensor/networks');
      const saved = NETWORKS.local.url;
      (NETWORKS.local as { url: string; genesisHash?: string }).url = other.url;
      (NETWORKS.local as { genesisHash?: string }).genesisHash = `0x${'cd'.repeat(32)}`;
      try {
        const result = await checkNetwork('local', 3);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toMatch(/^wrong chain: /);
      } finally {
        (NETWORKS.local as { url: string }).url = saved;
        delete (NETWORKS.local as { genesisHash?: string }).genesisHash;
      }
    } finally {
      await other.close();
    }
  }, 30_000);

  it('refuses what is not a network', async () => {
    expect(await checkNetwork('http://example.com', 3)).toEqual({ ok: false, kind: 'invalid', reason: expect.stringMatching(/only ws:\/\/ and wss:\/\//) });
    expect(await checkNetwork('devnet', 3)).toMatchObject({ ok: false });
  });
});

// Keep path imported for editors that resolve fixtures relative to this file.
void path;
