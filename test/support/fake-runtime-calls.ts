import { compactAddLength, hexToU8a, u8aToHex } from '@polkadot/util';
import { EventCodec, type DispatchErrorSpec } from '../../main/devnet/node/event-codec';
import { runtimeApiOutput, type FakeRuntime, type Json } from './subtensor-fixtures';

/**
 * What the fake node computes rather than reads from storage or recordings,
 * encoded with the runtime's own types: a block's System.Events after an
 * extrinsic, and the runtime API calls @polkadot/api makes (metadata
 * versions, fee queries).
 */

/** System.Events of a block whose one extrinsic (index 0) succeeded or failed with `error`. */
export function extrinsicEvents(runtime: FakeRuntime, error: DispatchErrorSpec | null): string {
  const events = new EventCodec(runtime);
  const dispatchInfo = events.dispatchInfo({ refTime: 1_000_000n, paysFee: true });
  const event = error
    ? { pallet: 'System', name: 'ExtrinsicFailed', data: { dispatchError: events.dispatchError(error), dispatchInfo } }
    : { pallet: 'System', name: 'ExtrinsicSuccess', data: { dispatchInfo } };
  return events.records([{ phase: { applyExtrinsic: 0 }, event }]);
}

/** The answer to `state_call(name, data)`; `fee` is what a fee query answers, in rao. */
export function stateCall(runtime: FakeRuntime, name: string, data: string, fee: bigint): Json {
  const registry = runtime.registry;
  if (name === 'Metadata_metadata_versions') return u8aToHex(registry.createType('Vec<u32>', [...runtime.metadataAtVersion.keys()]).toU8a());
  if (name === 'Metadata_metadata_at_version') {
    const version = registry.createType('u32', hexToU8a(data)).toNumber();
    const bytes = runtime.metadataAtVersion.get(version);
    return bytes ? u8aToHex(new Uint8Array([1, ...compactAddLength(bytes)])) : '0x00';
  }
  if (name === 'TransactionPaymentApi_query_info') {
    const output = runtimeApiOutput(runtime, 'TransactionPaymentApi', 'query_info');
    const value = { weight: { refTime: 1_000_000, proofSize: 1000 }, class: 'Normal', partialFee: fee.toString() };
    return u8aToHex(registry.createType(output ?? 'RuntimeDispatchInfoV2', value).toU8a());
  }
  throw new Error(`runtime call ${name} is not served by the fake node`);
}
