import { hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { DispatchFailure } from './dispatch';
import { isEpochBlock, runEpoch } from './epoch';
import type { EventCodec, EventPhase, EventSpec } from './event-codec';
import type { NodeState } from './node-state';
import type { SubtensorRuntime } from './subtensor-runtime';
import type { PendingExtrinsic } from './transaction-pool';

export interface BlockInput {
  number: number;
  timestamp: number;
  /** Transactions from the pool, in the order they were admitted. */
  transactions: readonly PendingExtrinsic[];
  fee: (transaction: PendingExtrinsic) => bigint;
  existentialDeposit: bigint;
  maxCommitmentFields: number;
}

/** What became of a transaction in the block. */
export type TransactionOutcome =
  | { transaction: PendingExtrinsic; included: true; index: number; failure: DispatchFailure | null; internalError?: unknown }
  | { transaction: PendingExtrinsic; included: false; reason: string };

export interface BuiltBlock {
  state: NodeState;
  /** Hex of every extrinsic: the timestamp inherent first, then the transactions. */
  extrinsics: string[];
  /** The block's System.Events value (hex). */
  events: string;
  extrinsicsRoot: string;
  outcomes: TransactionOutcome[];
  epoch: boolean;
}

const INHERENT_WEIGHT = 10_000_000n;

/**
 * Builds one block as subtensor's runtime would: on_initialize runs the
 * subnet's epoch when it is due, the timestamp inherent comes first, then each
 * transaction pays its fee, spends its nonce and is dispatched; a failed call
 * keeps the fee and nonce spent but none of its own changes, and leaves
 * System.ExtrinsicFailed with the pallet's error. The input state is not touched.
 */
export function buildBlock(runtime: SubtensorRuntime, events: EventCodec, previous: NodeState, input: BlockInput): BuiltBlock {
  let state: NodeState = structuredClone(previous);
  state.head = input.number;
  const epoch = isEpochBlock(input.number, state.netuid, state.hyperparameters.tempo);
  if (epoch) runEpoch(state);

  const records: Array<{ phase: EventPhase; event: EventSpec }> = [];
  const timestampSet = (runtime.decorated.tx['timestamp']?.['set'] as unknown as (now: number) => unknown)(input.timestamp);
  const extrinsics: string[] = [runtime.registry.createType('Extrinsic', timestampSet).toHex()];
  records.push({ phase: { applyExtrinsic: 0 }, event: success(events, INHERENT_WEIGHT, true, 'Mandatory') });

  const outcomes: TransactionOutcome[] = [];
  for (const transaction of input.transactions) {
    const account = state.accounts[transaction.signer] ?? { free: '0', nonce: 0 };
    const fee = input.fee(transaction);
    // Checked again: an earlier transaction in this block may have spent the funds.
    if (transaction.nonce !== account.nonce) {
      outcomes.push({ transaction, included: false, reason: 'its nonce is no longer current' });
      continue;
    }
    if (BigInt(account.free) < fee) {
      outcomes.push({ transaction, included: false, reason: 'the account can no longer pay the fee' });
      continue;
    }
    const index = extrinsics.length;
    extrinsics.push(transaction.hex);
    state.accounts[transaction.signer] = { free: (BigInt(account.free) - fee).toString(), nonce: account.nonce + 1 };

    const draft = structuredClone(state);
    const deposited: EventSpec[] = [];
    let failure: DispatchFailure | null = null;
    let internalError: unknown;
    try {
      transaction.handler.dispatch(
        { state: draft, signer: transaction.signer, block: input.number, events: deposited, existentialDeposit: input.existentialDeposit, maxCommitmentFields: input.maxCommitmentFields },
        transaction.args,
      );
      state = draft;
    } catch (error) {
      // A bug in a call must not stop the chain: it fails like a runtime's Other error and is reported.
      failure = error instanceof DispatchFailure ? error : new DispatchFailure({ other: 'Other' });
      if (!(error instanceof DispatchFailure)) internalError = error;
    }
    const phase = { applyExtrinsic: index };
    if (!failure) for (const event of deposited) records.push({ phase, event });
    if (fee > 0n) records.push({ phase, event: { pallet: 'TransactionPayment', name: 'TransactionFeePaid', data: { who: transaction.signer, actualFee: fee, tip: 0 } } });
    const paysFee = transaction.handler.paysFee;
    records.push({
      phase,
      event: failure
        ? { pallet: 'System', name: 'ExtrinsicFailed', data: { dispatchError: events.dispatchError(failure.error), dispatchInfo: events.dispatchInfo({ refTime: transaction.handler.refTime, paysFee }) } }
        : success(events, transaction.handler.refTime, paysFee),
    });
    outcomes.push({ transaction, included: true, index, failure, ...(internalError === undefined ? {} : { internalError }) });
  }

  return {
    state,
    extrinsics,
    events: events.records(records),
    // Not a trie root (the node keeps no trie): a hash of the block's extrinsics, so the header commits to them.
    extrinsicsRoot: blake2AsHex(u8aConcat(...extrinsics.map((x) => hexToU8a(x)))),
    outcomes,
    epoch,
  };
}

function success(events: EventCodec, refTime: bigint, paysFee: boolean, dispatchClass: 'Normal' | 'Mandatory' = 'Normal'): EventSpec {
  return { pallet: 'System', name: 'ExtrinsicSuccess', data: { dispatchInfo: events.dispatchInfo({ refTime, paysFee, class: dispatchClass }) } };
}

/** A block's header as the RPC returns it; its blake2-256 (of the SCALE encoding) is the block hash. */
export interface HeaderJson {
  parentHash: string;
  number: string;
  stateRoot: string;
  extrinsicsRoot: string;
  digest: { logs: string[] };
}

export function headerJson(number: number, parentHash: string, stateRoot: string, extrinsicsRoot: string): HeaderJson {
  return { parentHash, number: `0x${number.toString(16)}`, stateRoot, extrinsicsRoot, digest: { logs: [] } };
}

/** blake2-256 of the header's SCALE encoding: the block hash clients compute too. */
export function headerHash(runtime: SubtensorRuntime, header: HeaderJson): string {
  return runtime.registry.createType('Header', header).hash.toHex();
}

/** The node keeps no state trie; a placeholder root per block, derived from the chain's genesis and the number. */
export function placeholderStateRoot(genesisHash: string, number: number): string {
  return blake2AsHex(u8aConcat(hexToU8a(genesisHash), new Uint8Array(new Uint32Array([number]).buffer)));
}

export const ZERO_HASH = u8aToHex(new Uint8Array(32));
