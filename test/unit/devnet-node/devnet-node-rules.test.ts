import { describe, expect, it, vi } from 'vitest';
import type { ChainSigner } from '../../../main/ports/chain-port';
import { tempoIndex } from '../../../main/services/chain/rewards';
import { ChainDispatchError, submitExtrinsic } from '../../../main/adapters/subtensor/extrinsic-submission';
import type { SubtensorChain } from '../../../main/adapters/subtensor/subtensor-chain';
import { isEpochBlock } from '../../../main/devnet/node/epoch';
import { devSigner } from '../../support/dev-signer';
import { devnetNodeHarness, NODE_NETUID, type startTestNode, TAO } from '../../support/devnet-node';

const NETUID = NODE_NETUID;

describe("the devnet node's subnet rules: permits, weights, epochs, registration", () => {
  const harness = devnetNodeHarness();

  async function setUp(overrides: Parameters<typeof startTestNode>[1] = {}) {
    const { node, chain } = await harness.joined(overrides);
    const coldkey = devSigner('//Owner');
    await chain.transfer(coldkey.address, 100n * TAO, devSigner('//Alice'));
    return { node, chain, coldkey };
  }

  async function register(chain: SubtensorChain, coldkey: ChainSigner, uri: string) {
    const hotkey = devSigner(uri);
    return { hotkey, uid: await chain.register(NETUID, hotkey.address, coldkey) };
  }

  /** Sends set_weights as is (no client-side checks), to see what the node itself does with it. */
  function rawSetWeights(chain: SubtensorChain, signer: ChainSigner, uids: number[], versionKey: bigint) {
    const tx = chain.api.tx['subtensorModule']!['setWeights']!(NETUID, uids, uids.map(() => 65535), versionKey);
    return submitExtrinsic(chain.api, tx, signer, { network: 'devnet', timeoutMs: 20_000 });
  }

  it('runs epochs on subtensor\'s schedule, the one tempoIndex in rewards.ts assumes', () => {
    for (const [netuid, tempo] of [[3, 4], [1, 360], [7, 10]] as const) {
      for (let block = 1; block < 3 * (tempo + 1) + 5; block++) {
        expect(isEpochBlock(block, netuid, tempo), `block ${block}`).toBe(tempoIndex(block, netuid, tempo) > tempoIndex(block - 1, netuid, tempo));
      }
    }
  });

  it('stake earns a validator permit at the next epoch; its weights give the miner incentive and emission the epoch after', async () => {
    const { chain, coldkey } = await setUp();
    const validator = await register(chain, coldkey, '//Validator');
    const miner = await register(chain, coldkey, '//Miner');

    // Without a permit, weights on others are refused with the pallet's own error.
    const refused = await chain.setWeights(NETUID, new Map([[miner.uid, 1]]), validator.hotkey).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChainDispatchError);
    expect((refused as ChainDispatchError).message).toMatch(/^SubtensorModule\.NeuronNoValidatorPermit: The caller is attempting to set non-self weights without being a permitted validator/);
    expect(refused).toMatchObject({ pallet: 'SubtensorModule', error: 'NeuronNoValidatorPermit' });

    await chain.addStake(validator.hotkey.address, NETUID, 5n * TAO, coldkey);
    await expect(chain.addStake(miner.hotkey.address, NETUID, 5n * TAO, devSigner('//Alice'))).rejects.toThrow(/^SubtensorModule\.NonAssociatedColdKey/);
    expect((await chain.metagraph(NETUID)).neurons[validator.uid]?.stake).toBe(5n * TAO);
    await vi.waitFor(async () => expect((await chain.metagraph(NETUID)).neurons[validator.uid]?.validatorPermit).toBe(true), { timeout: 10_000, interval: 100 });
    expect((await chain.metagraph(NETUID)).neurons[miner.uid]?.validatorPermit).toBe(false); // no stake, no permit

    await chain.setWeights(NETUID, new Map([[miner.uid, 1]]), validator.hotkey);
    const weighted = await chain.metagraph(NETUID);
    expect(weighted.neurons[validator.uid]?.lastUpdate).toBeGreaterThan(weighted.neurons[validator.uid]?.registeredAt as number);

    await vi.waitFor(async () => expect((await chain.metagraph(NETUID)).neurons[miner.uid]?.incentive).toBeGreaterThan(0), { timeout: 10_000, interval: 100 });
    const paid = await chain.metagraph(NETUID);
    const m = paid.neurons[miner.uid]!;
    const v = paid.neurons[validator.uid]!;
    // All the validator's weight is on the one miner: full incentive, half the tempo's emission (1 TAO); the validator gets the other half as dividends.
    expect(m.incentive).toBe(1);
    expect(m.consensus).toBe(1);
    expect(m.emission).toBe(TAO / 2n);
    expect(v.incentive).toBe(0);
    expect(v.dividends).toBe(1);
    expect(v.emission).toBe(TAO / 2n);
    // Emission is credited to the hotkey's alpha, once per epoch.
    expect(m.stake).toBeGreaterThan(0n);
    expect(m.stake % (TAO / 2n)).toBe(0n);
  }, 60_000);

  it('set_weights on a subnet with commit-reveal on is refused, by the client and by the node, naming it', async () => {
    const { node, chain, coldkey } = await setUp();
    const validator = await register(chain, coldkey, '//Validator');
    await node.setHyperparameter('commitRevealWeightsEnabled', true);
    expect(await chain.commitRevealEnabled(NETUID)).toBe(true);
    await expect(chain.setWeights(NETUID, new Map([[validator.uid, 1]]), validator.hotkey)).rejects.toThrow(/commit-reveal weights enabled \(hyperparameter CommitRevealWeightsEnabled\)/);
    await expect(rawSetWeights(chain, validator.hotkey, [validator.uid], 0n)).rejects.toThrow(/^SubtensorModule\.CommitRevealEnabled: Attempting to call set_weights when commit\/reveal is enabled/);

    await node.setHyperparameter('commitRevealWeightsEnabled', false);
    await node.setHyperparameter('weightsVersionKey', 7n);
    expect(await chain.weightsVersionKey(NETUID)).toBe(7n);
    await expect(rawSetWeights(chain, validator.hotkey, [validator.uid], 6n)).rejects.toThrow(/^SubtensorModule\.IncorrectWeightVersionKey/);
    await expect(rawSetWeights(chain, validator.hotkey, [validator.uid, 99], 7n)).rejects.toThrow(/^SubtensorModule\.UidVecContainInvalidOne/);
    await expect(rawSetWeights(chain, devSigner('//Stranger'), [validator.uid], 7n)).rejects.toThrow(/^SubtensorModule\.HotKeyNotRegisteredInSubNet/);
    // The client reads the version key itself; setting only its own uid needs no permit.
    await chain.setWeights(NETUID, new Map([[validator.uid, 1]]), validator.hotkey);
    await expect(node.setHyperparameter('tempo', 0)).rejects.toThrow(/tempo cannot be 0/);
  }, 60_000);

  it('a full subnet replaces its lowest-incentive neuron past immunity, and refuses while every neuron is immune', async () => {
    const { node, chain, coldkey } = await setUp({ maxAllowedUids: 2, immunityPeriod: 0 });
    const first = await register(chain, coldkey, '//First');
    const second = await register(chain, coldkey, '//Second');
    expect([first.uid, second.uid]).toEqual([0, 1]);
    await expect(chain.register(NETUID, second.hotkey.address, coldkey)).resolves.toBe(1); // already there: nothing to pay
    // All at zero incentive: the one registered earliest goes.
    const third = await register(chain, coldkey, '//Third');
    expect(third.uid).toBe(first.uid);
    const neurons = (await chain.metagraph(NETUID)).neurons;
    expect(neurons.map((n) => n.hotkey)).toEqual([third.hotkey.address, second.hotkey.address]);
    expect(await chain.uidOf(NETUID, first.hotkey.address)).toBeNull();

    await node.setHyperparameter('immunityPeriod', 1000);
    await expect(chain.register(NETUID, devSigner('//Fourth').address, coldkey)).rejects.toThrow(/^SubtensorModule\.NoNeuronIdAvailable/);
    // A hotkey another coldkey owns cannot be registered by this one.
    await node.endow(devSigner('//Thief').address, 10n * TAO);
    await expect(chain.register(NETUID, first.hotkey.address, devSigner('//Thief'))).rejects.toThrow(/^SubtensorModule\.NonAssociatedColdKey/);
    expect(await chain.balanceOf(devSigner('//Thief').address)).toBeLessThan(10n * TAO); // the fee went; the burn stayed
    expect(await chain.balanceOf(devSigner('//Thief').address)).toBeGreaterThan(9n * TAO);
  }, 60_000);
});
