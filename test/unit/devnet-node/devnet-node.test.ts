import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { SubtensorChain } from '../../../main/adapters/subtensor/subtensor-chain';
import { DevnetNode } from '../../../main/devnet/node/devnet-node';
import { BlockLog } from '../../../main/devnet/node/block-log';
import { devSigner } from '../../support/dev-signer';
import { devnetNodeHarness, joinNode, NODE_FEE, NODE_NETUID, startTestNode, TAO } from '../../support/devnet-node';

const NETUID = NODE_NETUID;

describe('the devnet node, joined through SubtensorChain', () => {
  const harness = devnetNodeHarness();
  const setUp = () => harness.joined();

  /** A coldkey funded by //Alice (the faucet), through a real balances transfer. */
  async function fundedColdkey(chain: SubtensorChain, uri: string, amount = 10n * TAO) {
    const coldkey = devSigner(uri);
    await chain.transfer(coldkey.address, amount, devSigner('//Alice'));
    return coldkey;
  }

  it('serves subtensor spec 424 with an empty subnet, its hyperparameters and the funded dev accounts', async () => {
    const { node, chain } = await setUp();
    expect(chain.runtimeFeatures()).toMatchObject({ specVersion: 424, stakeSource: 'TotalHotkeyAlpha', hasCommitments: true, hasTimestamp: true });
    expect(chain.api.genesisHash.toHex()).toBe(node.genesisHash);
    const metagraph = await chain.metagraph(NETUID);
    expect(metagraph.neurons).toEqual([]);
    expect(await chain.subnetExists(NETUID)).toBe(true);
    expect(await chain.subnetExists(NETUID + 1)).toBe(false);
    expect(await chain.tempo(NETUID)).toBe(4);
    expect(await chain.burn(NETUID)).toBe(TAO);
    expect(await chain.commitRevealEnabled(NETUID)).toBe(false);
    expect(await chain.weightsVersionKey(NETUID)).toBe(0n);
    for (const uri of ['//Alice', '//Ferdie']) expect(await chain.balanceOf(devSigner(uri).address)).toBe(1_000_000n * TAO);
    expect(await chain.balanceOf(devSigner('//Nobody').address)).toBe(0n);
  }, 30_000);

  it('says who owns the subnet once its owner hotkey is set (SubnetOwnerHotkey), and nothing before', async () => {
    const { node, chain } = await setUp();
    expect(await chain.subnetOwnerHotkey(NETUID)).toBeNull();
    const owner = devSigner('//SubnetOwner').address;
    await node.setSubnetOwnerHotkey(owner);
    await vi.waitFor(async () => expect(await chain.subnetOwnerHotkey(NETUID)).toBe(owner), { timeout: 10_000 });
    expect(await chain.subnetOwnerHotkey(NETUID + 1)).toBeNull();
    await expect(node.setSubnetOwnerHotkey('not-an-address')).rejects.toThrow(/not an SS58 address/);
  }, 30_000);

  it('//Alice funds a new coldkey, which registers a hotkey paying burn and fee; the metagraph shows it with its owner', async () => {
    const { chain } = await setUp();
    const alice = devSigner('//Alice');
    const aliceBefore = await chain.balanceOf(alice.address);
    // A storage subscription (what api.query.x.y(callback) uses) hears the new account's balance.
    const heard: bigint[] = [];
    const unsubscribe = (await chain.api.query['system']!['account']!(devSigner('//Cold').address, (account: { data: { free: { toBigInt(): bigint } } }) =>
      heard.push(account.data.free.toBigInt()),
    )) as unknown as () => void;
    const coldkey = await fundedColdkey(chain, '//Cold');
    expect(await chain.balanceOf(coldkey.address)).toBe(10n * TAO);
    await vi.waitFor(() => expect(heard).toEqual([0n, 10n * TAO]), { timeout: 5_000 });
    unsubscribe();
    expect(await chain.balanceOf(alice.address)).toBe(aliceBefore - 10n * TAO - NODE_FEE);

    const hotkey = devSigner('//Hot');
    expect(await chain.estimate({ action: 'register', netuid: NETUID, hotkey: hotkey.address }, coldkey.address)).toEqual({ fee: NODE_FEE, burn: TAO });
    const uid = await chain.register(NETUID, hotkey.address, coldkey);
    expect(uid).toBe(0);
    expect(await chain.balanceOf(coldkey.address)).toBe(10n * TAO - TAO - NODE_FEE);
    expect(await chain.uidOf(NETUID, hotkey.address)).toBe(0);
    const [neuron] = (await chain.metagraph(NETUID)).neurons;
    expect(neuron).toMatchObject({ uid: 0, hotkey: hotkey.address, coldkey: coldkey.address, stake: 0n, validatorPermit: false });
    expect(neuron?.registeredAt).toBeGreaterThan(0);
  }, 30_000);

  it('keeps a commitment of two raw fields, signed by the registered hotkey, and refuses one from an unregistered key', async () => {
    const { chain } = await setUp();
    const coldkey = await fundedColdkey(chain, '//Cold');
    const hotkey = devSigner('//Hot');
    await chain.register(NETUID, hotkey.address, coldkey);
    const bucket = new TextEncoder().encode('s3://bucket-1');
    const secret = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    await chain.commit(NETUID, [bucket, secret], hotkey);
    const commitment = (await chain.commitments(NETUID)).get(hotkey.address);
    expect(commitment?.fields).toEqual([bucket, secret]);
    expect(commitment?.data.startsWith('s3://bucket-1')).toBe(true);
    expect(commitment?.block).toBeGreaterThan(0);
    expect(commitment?.block).toBeLessThanOrEqual(await chain.blockNumber());

    await expect(chain.commit(NETUID, 'not mine', devSigner('//Stranger'))).rejects.toThrow(/^Commitments\.AccountNotAllowedCommit/);
    await expect(chain.commit(NETUID, [bucket, bucket, bucket, bucket], hotkey)).rejects.toThrow(/at most 3 fields/);
  }, 30_000);

  it('registering with too little balance fails clearly: the burn after the fee, or the fee itself', async () => {
    const { chain } = await setUp();
    const poor = await fundedColdkey(chain, '//Poor', TAO / 2n);
    await expect(chain.register(NETUID, devSigner('//PoorHot').address, poor)).rejects.toThrow(/^SubtensorModule\.NotEnoughBalanceToStake: /);
    expect(await chain.balanceOf(poor.address)).toBe(TAO / 2n - NODE_FEE); // the fee was paid, the burn was not
    expect(await chain.uidOf(NETUID, devSigner('//PoorHot').address)).toBeNull();

    const broke = await fundedColdkey(chain, '//Broke', 1_000n);
    await expect(chain.register(NETUID, devSigner('//BrokeHot').address, broke)).rejects.toThrow(/1010: Invalid Transaction: Inability to pay some fees/);
    expect(await chain.balanceOf(broke.address)).toBe(1_000n);
  }, 30_000);

  it('refuses a bad signature, a replayed or future nonce, and a call it does not run, as a node\'s pool does', async () => {
    const { chain } = await setUp();
    const alice = devSigner('//Alice');
    const bob = devSigner('//Bob');
    const before = await chain.balanceOf(alice.address);
    const forged = { address: alice.address, sign: bob.sign };
    await expect(chain.transfer(bob.address, TAO, forged)).rejects.toThrow(/1010: Invalid Transaction: Transaction has a bad signature/);
    expect(await chain.balanceOf(alice.address)).toBe(before);

    const { Keyring } = await import('@polkadot/keyring');
    const pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
    const nonce = (await chain.api.rpc.system.accountNextIndex(alice.address)).toNumber();
    await chain.transfer(bob.address, TAO, alice);
    const replay = chain.api.tx['balances']!['transferKeepAlive']!(bob.address, TAO);
    await replay.signAsync(pair, { nonce, era: 0 });
    await expect(chain.api.rpc.author.submitExtrinsic(replay)).rejects.toThrow(/1010: Invalid Transaction: Transaction is outdated/);
    const future = chain.api.tx['balances']!['transferKeepAlive']!(bob.address, TAO);
    await future.signAsync(pair, { nonce: nonce + 5, era: 0 });
    await expect(chain.api.rpc.author.submitExtrinsic(future)).rejects.toThrow(/1010: Invalid Transaction: Transaction will be valid in the future/);
    const remark = chain.api.tx['system']!['remark']!('0x00');
    await remark.signAsync(pair, { era: 0 });
    await expect(chain.api.rpc.author.submitExtrinsic(remark)).rejects.toThrow(/1010: Invalid Transaction: Transaction call is not expected/);
    // A mortal era (what most wallets send) is checked against its birth block's hash.
    const mortal = chain.api.tx['balances']!['transferKeepAlive']!(bob.address, TAO);
    await mortal.signAsync(pair);
    expect(mortal.era.isMortalEra).toBe(true);
    const hash = await chain.api.rpc.author.submitExtrinsic(mortal);
    expect(hash.toHex()).toBe(mortal.hash.toHex());
  }, 30_000);

  it('tells the time of past blocks at their own hash, as their subscribers heard it, and refuses a block not made yet', async () => {
    const { chain } = await setUp();
    const heard: Array<{ number: number; timestamp: number }> = [];
    const unsubscribe = await chain.subscribeBlocks((b) => heard.push(b));
    await vi.waitFor(() => expect(heard.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    unsubscribe();
    for (const block of heard) expect(await chain.blockTimestamp(block.number), `block ${block.number}`).toBe(block.timestamp);
    const times = await Promise.all([1, 2, 3].map((n) => chain.blockTimestamp(n)));
    expect(times[1]).toBeGreaterThan(times[0] as number);
    expect(times[2]).toBeGreaterThan(times[1] as number);
    const head = await chain.blockNumber();
    await expect(chain.blockTimestamp(head + 1000)).rejects.toThrow(`block ${head + 1000} is not on devnet yet`);
  }, 30_000);

  it('survives a restart on the same state file: same genesis, same neurons and commitments, blocks continue', async () => {
    const dir = harness.tempDir();
    let node = await startTestNode(dir);
    let chain = await joinNode(node);
    const coldkey = await fundedColdkey(chain, '//Cold');
    const hotkey = devSigner('//Hot');
    await chain.register(NETUID, hotkey.address, coldkey);
    await chain.commit(NETUID, 'fs:/peer', hotkey);
    const genesis = node.genesisHash;
    const before = await chain.metagraph(NETUID);
    const earlyTime = await chain.blockTimestamp(2);
    await chain.close();
    await node.close();

    node = await startTestNode(dir);
    harness.track(() => node.close());
    chain = await joinNode(node);
    harness.track(() => chain.close());
    expect(node.genesisHash).toBe(genesis);
    expect(chain.api.genesisHash.toHex()).toBe(genesis);
    const after = await chain.metagraph(NETUID);
    expect(after.block).toBeGreaterThanOrEqual(before.block);
    expect(after.neurons.map((n) => [n.uid, n.hotkey, n.coldkey, n.registeredAt])).toEqual(before.neurons.map((n) => [n.uid, n.hotkey, n.coldkey, n.registeredAt]));
    expect((await chain.commitments(NETUID)).get(hotkey.address)?.data).toBe('fs:/peer');
    expect(await chain.blockTimestamp(2)).toBe(earlyTime);
    const resumedAt = after.block;
    await vi.waitFor(async () => expect(await chain.blockNumber()).toBeGreaterThan(resumedAt + 1), { timeout: 10_000 });
    // The balance and nonce carried over too: the coldkey can still sign.
    expect(await chain.balanceOf(coldkey.address)).toBe(10n * TAO - TAO - NODE_FEE);
    await chain.transfer(devSigner('//Bob').address, TAO, coldkey);
  }, 60_000);

  it('a damaged state file is a clear error and is left as it was', async () => {
    const dir = harness.tempDir();
    const file = path.join(dir, 'chain.json');
    fs.writeFileSync(file, '{"version":1,');
    await expect(startTestNode(dir)).rejects.toThrow(/chain\.json is not valid JSON .*move it away/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version":1,');
    fs.writeFileSync(file, JSON.stringify({ version: 1, genesisHash: 'nope' }));
    await expect(startTestNode(dir)).rejects.toThrow(/chain\.json is damaged at genesisHash/);
  });

  it('the block log drops blocks past the state after a crash, and refuses to be shorter than the state', async () => {
    const file = path.join(harness.tempDir(), 'chain.json.blocks');
    let log = await BlockLog.open(file, 0);
    for (let n = 0; n < 3; n++) await log.append({ hash: `0x${String(n).repeat(64)}`, timestamp: 1_000 + n, extrinsicsRoot: `0x${'ab'.repeat(32)}` });
    await log.close();
    log = await BlockLog.open(file, 2);
    expect(log.length).toBe(2);
    expect(log.get(1)).toEqual({ hash: `0x${'1'.repeat(64)}`, timestamp: 1_001, extrinsicsRoot: `0x${'ab'.repeat(32)}` });
    expect(log.numberOf(`0x${'1'.repeat(64)}`)).toBe(1);
    expect(log.get(2)).toBeNull();
    await log.close();
    await expect(BlockLog.open(file, 5)).rejects.toThrow(/holds 2 blocks but the chain state counts 5/);
  });

  it('refuses a start on another subnet than the state file holds', async () => {
    const { dir, node } = await setUp();
    await node.close();
    await expect(DevnetNode.start({ stateFile: path.join(dir, 'chain.json'), netuid: 9, blockMs: 100, tempo: 4, burn: TAO, emissionPerTempo: TAO })).rejects.toThrow(/runs subnet 3, not 9/);
  }, 30_000);
});
