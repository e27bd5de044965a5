import type { Codec } from '@polkadot/types/types';
import { u8aToHex } from '@polkadot/util';
import type { DispatchErrorSpec, EventSpec } from './event-codec';
import type { NodeNeuron, NodeState } from './node-state';

/** A call failed the way a pallet fails it: fee and nonce are spent, the call's own changes are undone. */
export class DispatchFailure extends Error {
  constructor(readonly error: DispatchErrorSpec) {
    super('module' in error ? `${error.module}.${error.error}` : 'token' in error ? `Token.${error.token}` : error.other);
    this.name = 'DispatchFailure';
  }
}

/** What a call sees while it runs inside a block. */
export interface DispatchContext {
  /** A draft of the state: kept only when the call succeeds. */
  state: NodeState;
  signer: string;
  block: number;
  /** The pallet events the call deposits. */
  events: EventSpec[];
  existentialDeposit: bigint;
  maxCommitmentFields: number;
}

/** One supported call: how it is charged and what it does. */
export interface CallHandler {
  /** False for calls subtensor marks Pays::No (set_weights, set_commitment): hotkeys sign them without funds. */
  paysFee: boolean;
  /** The DispatchInfo weight reported in its events (not metered). */
  refTime: bigint;
  /** A reason the node cannot run this call at all (checked at submission), or null. */
  unsupported?(args: readonly Codec[]): string | null;
  dispatch(ctx: DispatchContext, args: readonly Codec[]): void;
}

// ---- helpers shared by the pallets ---------------------------------------

export const moduleError = (module: string, error: string) => new DispatchFailure({ module, error });
export const subtensorError = (error: string) => moduleError('SubtensorModule', error);

export const toBig = (codec: Codec | undefined): bigint => BigInt(codec?.toString() ?? '0');
export const toNum = (codec: Codec | undefined): number => Number(codec?.toString() ?? '0');

export function freeOf(state: NodeState, address: string): bigint {
  return BigInt(state.accounts[address]?.free ?? '0');
}

/** Sets an account's free balance, creating the account (nonce 0) when it is new. */
export function setFree(state: NodeState, address: string, free: bigint): void {
  const account = state.accounts[address] ?? { free: '0', nonce: 0 };
  state.accounts[address] = { ...account, free: free.toString() };
}

export function neuronOf(state: NodeState, hotkey: string): NodeNeuron | undefined {
  return state.neurons.find((n) => n.hotkey === hotkey);
}

export function requireSubnet(state: NodeState, netuid: number): void {
  if (netuid !== state.netuid) throw subtensorError('SubnetNotExists');
}

// ---- Balances --------------------------------------------------------------

/** The AccountId a MultiAddress names; only the plain Id form is supported (no indices on subtensor). */
function accountOf(dest: Codec | undefined): string {
  const address = dest as unknown as { type?: string; value?: Codec } | undefined;
  if (address?.type !== 'Id' || !address.value) throw new DispatchFailure({ other: 'CannotLookup' });
  return address.value.toString();
}

function transfer(keepAlive: boolean): CallHandler['dispatch'] {
  return (ctx, [destArg, valueArg]) => {
    const { state, signer: from, existentialDeposit } = ctx;
    const to = accountOf(destArg);
    const amount = toBig(valueArg);
    const fromFree = freeOf(state, from);
    if (amount > fromFree) throw new DispatchFailure({ token: 'FundsUnavailable' });
    const remaining = fromFree - amount;
    if (keepAlive && remaining < existentialDeposit) throw new DispatchFailure({ token: 'NotExpendable' });
    const isNew = state.accounts[to] === undefined;
    if (isNew && to !== from && amount < existentialDeposit) throw new DispatchFailure({ token: 'BelowMinimum' });
    setFree(state, from, remaining);
    if (remaining < existentialDeposit && to !== from) {
      // Below the existential deposit the account is reaped, its dust lost (transfer_allow_death only).
      delete state.accounts[from];
      ctx.events.push({ pallet: 'System', name: 'KilledAccount', data: { account: from } });
      if (remaining > 0n) ctx.events.push({ pallet: 'Balances', name: 'DustLost', data: { account: from, amount: remaining } });
    }
    setFree(state, to, freeOf(state, to) + amount);
    if (isNew && to !== from) {
      ctx.events.push({ pallet: 'System', name: 'NewAccount', data: { account: to } });
      ctx.events.push({ pallet: 'Balances', name: 'Endowed', data: { account: to, freeBalance: amount } });
    }
    ctx.events.push({ pallet: 'Balances', name: 'Transfer', data: { from, to, amount } });
  };
}

// ---- Commitments -------------------------------------------------------------

interface DataField {
  type: string;
  value: Codec;
}

const fieldsOf = (info: Codec | undefined): DataField[] => [...((info as unknown as { fields?: Iterable<DataField> })?.fields ?? [])];

const setCommitment: CallHandler = {
  paysFee: false,
  refTime: 50_000_000n,
  unsupported: ([, info]) => (fieldsOf(info).every((f) => /^Raw\d+$/.test(f.type)) ? null : 'the devnet keeps Raw commitment fields only'),
  dispatch(ctx, [netuidArg, info]) {
    const netuid = toNum(netuidArg);
    const neuron = neuronOf(ctx.state, ctx.signer);
    if (netuid !== ctx.state.netuid || !neuron) throw moduleError('Commitments', 'AccountNotAllowedCommit');
    const fields = fieldsOf(info);
    if (fields.length > ctx.maxCommitmentFields) throw moduleError('Commitments', 'TooManyFieldsInCommitmentInfo');
    ctx.state.commitments[ctx.signer] = { block: ctx.block, fields: fields.map((f) => u8aToHex(f.value.toU8a(true))) };
    ctx.events.push({ pallet: 'Commitments', name: 'Commitment', data: { netuid, who: ctx.signer } });
  },
};

export const BALANCES_AND_COMMITMENTS: Record<string, CallHandler> = {
  'balances.transferKeepAlive': { paysFee: true, refTime: 60_000_000n, dispatch: transfer(true) },
  'balances.transferAllowDeath': { paysFee: true, refTime: 60_000_000n, dispatch: transfer(false) },
  'commitments.setCommitment': setCommitment,
};
