import type { Codec } from '@polkadot/types/types';
import { type CallHandler, type DispatchContext, freeOf, neuronOf, requireSubnet, setFree, subtensorError, toBig, toNum } from './dispatch';
import type { NodeNeuron, NodeState } from './node-state';

const U16_MAX = 65535;

/** A neuron is immune to replacement for `immunityPeriod` blocks after it registered. */
function isImmune(state: NodeState, neuron: NodeNeuron, block: number): boolean {
  return block - neuron.registeredAt < state.hyperparameters.immunityPeriod;
}

/**
 * The uid a new registration takes: the next free one, or on a full subnet the
 * one of the lowest-incentive neuron past its immunity (older first on a tie);
 * none when every neuron is still immune.
 */
function uidForNewNeuron(state: NodeState, block: number): number | null {
  if (state.neurons.length < state.hyperparameters.maxAllowedUids) return state.neurons.length;
  const candidates = state.neurons.filter((n) => !isImmune(state, n, block));
  candidates.sort((a, b) => a.incentive - b.incentive || a.registeredAt - b.registeredAt || a.uid - b.uid);
  return candidates[0]?.uid ?? null;
}

/** A replaced neuron's votes go with it, and nobody's votes for its uid pass to the newcomer. */
function forgetUid(state: NodeState, uid: number): void {
  delete state.weights[String(uid)];
  for (const [validator, row] of Object.entries(state.weights)) state.weights[validator] = row.filter(([dest]) => dest !== uid);
}

/** burned_register(netuid, hotkey), signed by the coldkey that pays the burn. */
function burnedRegister(ctx: DispatchContext, [netuidArg, hotkeyArg]: readonly Codec[]): void {
  const { state, signer: coldkey, block } = ctx;
  const netuid = toNum(netuidArg);
  const hotkey = hotkeyArg?.toString() ?? '';
  requireSubnet(state, netuid);
  if (neuronOf(state, hotkey)) throw subtensorError('HotKeyAlreadyRegisteredInSubNet');
  const owner = state.owners[hotkey];
  if (owner !== undefined && owner !== coldkey) throw subtensorError('NonAssociatedColdKey');
  const burn = BigInt(state.hyperparameters.burn);
  const free = freeOf(state, coldkey);
  if (free < burn) throw subtensorError('NotEnoughBalanceToStake');
  const uid = uidForNewNeuron(state, block);
  if (uid === null) throw subtensorError('NoNeuronIdAvailable');

  setFree(state, coldkey, free - burn);
  state.owners[hotkey] = owner ?? coldkey;
  const neuron: NodeNeuron = {
    uid,
    hotkey,
    coldkey: state.owners[hotkey],
    stake: '0',
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: '0',
    validatorPermit: false,
    lastUpdate: block,
    registeredAt: block,
  };
  if (uid < state.neurons.length) {
    forgetUid(state, uid);
    state.neurons = state.neurons.map((n) => (n.uid === uid ? neuron : n));
  } else {
    state.neurons.push(neuron);
  }
  ctx.events.push({ pallet: 'SubtensorModule', name: 'NeuronRegistered', data: [netuid, uid, hotkey] });
}

/**
 * add_stake(hotkey, netuid, amount), signed by the hotkey's owner coldkey.
 * TAO becomes alpha one for one (the devnet has no AMM pool).
 */
function addStake(ctx: DispatchContext, [hotkeyArg, netuidArg, amountArg]: readonly Codec[]): void {
  const { state, signer: coldkey } = ctx;
  const hotkey = hotkeyArg?.toString() ?? '';
  const netuid = toNum(netuidArg);
  const amount = toBig(amountArg);
  requireSubnet(state, netuid);
  const owner = state.owners[hotkey];
  if (owner === undefined) throw subtensorError('HotKeyAccountNotExists');
  if (amount === 0n) throw subtensorError('AmountTooLow');
  const free = freeOf(state, coldkey);
  if (free < amount) throw subtensorError('NotEnoughBalanceToStake');
  if (owner !== coldkey) throw subtensorError('NonAssociatedColdKey');
  const neuron = neuronOf(state, hotkey);
  if (!neuron) throw subtensorError('HotKeyNotRegisteredInSubNet');
  setFree(state, coldkey, free - amount);
  neuron.stake = (BigInt(neuron.stake) + amount).toString();
  ctx.events.push({ pallet: 'SubtensorModule', name: 'StakeAdded', data: [coldkey, hotkey, amount, amount, netuid, 0] });
}

/**
 * set_weights(netuid, dests, weights, version_key), signed by a hotkey with a
 * validator permit (or setting only its own uid), checked in subtensor's order.
 */
function setWeights(ctx: DispatchContext, [netuidArg, destsArg, weightsArg, versionArg]: readonly Codec[]): void {
  const { state, signer: hotkey, block } = ctx;
  const netuid = toNum(netuidArg);
  const dests = [...((destsArg as unknown as Iterable<Codec>) ?? [])].map((c) => toNum(c));
  const values = [...((weightsArg as unknown as Iterable<Codec>) ?? [])].map((c) => toNum(c));
  requireSubnet(state, netuid);
  if (state.hyperparameters.commitRevealWeightsEnabled) throw subtensorError('CommitRevealEnabled');
  if (dests.length !== values.length) throw subtensorError('WeightVecNotEqualSize');
  const neuron = neuronOf(state, hotkey);
  if (!neuron) throw subtensorError('HotKeyNotRegisteredInSubNet');
  const required = BigInt(state.hyperparameters.weightsVersionKey);
  if (required !== 0n && toBig(versionArg) < required) throw subtensorError('IncorrectWeightVersionKey');
  if (new Set(dests).size !== dests.length) throw subtensorError('DuplicateUids');
  if (dests.some((uid) => !state.neurons.some((n) => n.uid === uid))) throw subtensorError('UidVecContainInvalidOne');
  const selfOnly = dests.length === 1 && dests[0] === neuron.uid;
  if (!selfOnly && !neuron.validatorPermit) throw subtensorError('NeuronNoValidatorPermit');

  // Stored max-upscaled, as subtensor does: the largest weight becomes 65535.
  const max = Math.max(0, ...values);
  const row = dests
    .map((uid, i) => [uid, max === 0 ? 0 : Math.round(((values[i] ?? 0) * U16_MAX) / max)] as [number, number])
    .filter(([, w]) => w > 0)
    .sort(([a], [b]) => a - b);
  state.weights[String(neuron.uid)] = row;
  neuron.lastUpdate = block;
  ctx.events.push({ pallet: 'SubtensorModule', name: 'WeightsSet', data: [netuid, neuron.uid] });
}

export const SUBTENSOR_CALLS: Record<string, CallHandler> = {
  'subtensorModule.burnedRegister': { paysFee: true, refTime: 400_000_000n, dispatch: burnedRegister },
  'subtensorModule.addStake': { paysFee: true, refTime: 300_000_000n, dispatch: addStake },
  // Pays::No on subtensor: validators' hotkeys set weights without funds.
  'subtensorModule.setWeights': { paysFee: false, refTime: 200_000_000n, dispatch: setWeights },
};
