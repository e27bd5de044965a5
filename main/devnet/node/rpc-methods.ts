import { compactAddLength, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import type { NodeChain } from './node-chain';
import { RpcError } from './rpc-error';
import type { RpcClient, RpcHandler } from './rpc-server';
import type { HeadKind, Subscriptions } from './subscriptions';
import { SUPPORTED_CALLS } from './transaction-pool';

export interface NodeIdentity {
  /** system_chain: what clients show as the network's name. */
  chain: string;
  /** system_version. */
  version: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const optionalHash = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The metadata versions the node can serve (it ships finney's v16 only). */
const METADATA_VERSIONS = [16];

/**
 * The JSON-RPC methods of the devnet node: the subset of a substrate node's
 * API that @polkadot/api uses to read storage, follow blocks and submit
 * transactions, answered from the NodeChain.
 */
export function rpcMethods(chain: NodeChain, subs: Subscriptions, identity: NodeIdentity): Map<string, RpcHandler> {
  const { runtime } = chain;
  const { registry } = runtime;
  const methods = new Map<string, RpcHandler>();
  const on = (names: string | string[], handler: RpcHandler) => {
    for (const name of Array.isArray(names) ? names : [names]) methods.set(name, handler);
  };
  const headHash = () => chain.hashOf(chain.head) as string;
  const blockNumberParam = (value: unknown): number | null => {
    if (value === undefined || value === null) return chain.head;
    const n = typeof value === 'string' ? Number.parseInt(value, value.startsWith('0x') ? 16 : 10) : Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new RpcError(-32602, 'Invalid params', `not a block number: ${String(value)}`);
    return n;
  };

  on('rpc_methods', () => ({ version: 1, methods: [...methods.keys()].sort() }));
  on('system_chain', () => identity.chain);
  on('system_name', () => 'tandem-devnet-node');
  on('system_version', () => identity.version);
  on('system_chainType', () => 'Development');
  on('system_properties', () => ({ ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' }));
  on('system_health', () => ({ peers: 0, isSyncing: false, shouldHavePeers: false }));
  on('system_peers', () => []);
  on('system_nodeRoles', () => ['Authority']);
  on('system_localListenAddresses', () => []);
  on('system_syncState', () => ({ startingBlock: 0, currentBlock: chain.head, highestBlock: chain.head }));
  on('system_accountNextIndex', ([address]) => chain.pool.nextIndex(text(address)));

  on(['chain_getBlockHash', 'chain_getHead'], ([n]) => {
    const number = blockNumberParam(n);
    return number === null ? null : chain.hashOf(number);
  });
  on(['chain_getFinalizedHead', 'chain_getFinalisedHead'], () => headHash());
  on('chain_getHeader', ([hash]) => {
    const n = hash === undefined || hash === null ? chain.head : chain.numberOf(text(hash));
    return n === null ? null : chain.header(n);
  });
  on('chain_getBlock', ([hash]) => {
    const n = hash === undefined || hash === null ? chain.head : chain.numberOf(text(hash));
    const extrinsics = n === null ? null : chain.extrinsicsOf(n);
    // A body older than the kept history is gone, as on a node that prunes blocks.
    return n === null || extrinsics === null ? null : { block: { header: chain.header(n), extrinsics }, justifications: null };
  });
  const heads: Array<[string[], HeadKind]> = [
    [['chain_subscribeNewHeads', 'chain_subscribeNewHead'], 'chain_newHead'],
    [['chain_subscribeAllHeads'], 'chain_allHead'],
    [['chain_subscribeFinalizedHeads', 'chain_subscribeFinalisedHeads'], 'chain_finalizedHead'],
  ];
  for (const [names, kind] of heads) on(names, (_params, client) => subs.addHead(kind, client, chain.header(chain.head) as never));
  const unsubscribe: RpcHandler = ([id], client: RpcClient) => client.unsubscribe(text(id));
  on(
    [
      'chain_unsubscribeNewHeads',
      'chain_unsubscribeNewHead',
      'chain_unsubscribeAllHeads',
      'chain_unsubscribeFinalizedHeads',
      'chain_unsubscribeFinalisedHeads',
      'state_unsubscribeRuntimeVersion',
      'state_unsubscribeStorage',
      'author_unwatchExtrinsic',
    ],
    unsubscribe,
  );

  on(['state_getRuntimeVersion', 'chain_getRuntimeVersion'], ([at]) => {
    chain.blockAt(optionalHash(at));
    return runtime.version;
  });
  on('state_subscribeRuntimeVersion', (_params, client) => {
    const id = client.subscribe('state_runtimeVersion');
    client.afterReply(() => client.notify(id, runtime.version));
    return id;
  });
  on('state_getMetadata', ([at]) => {
    chain.blockAt(optionalHash(at));
    return u8aToHex(runtime.metadataBytes);
  });
  on(['state_getStorage', 'state_getStorageAt'], ([key, at]) => chain.storageAt(text(key), optionalHash(at)));
  on('state_getStorageHash', ([key, at]) => {
    const value = chain.storageAt(text(key), optionalHash(at));
    return value === null ? null : blake2AsHex(hexToU8a(value));
  });
  on('state_getStorageSize', ([key, at]) => {
    const value = chain.storageAt(text(key), optionalHash(at));
    return value === null ? null : hexToU8a(value).length;
  });
  on('state_queryStorageAt', ([keys, at]) => {
    const n = chain.blockAt(optionalHash(at));
    const hash = chain.hashOf(n) as string;
    const list = Array.isArray(keys) ? keys.map(text) : [];
    return [{ block: hash, changes: list.map((k) => [k, chain.storageAt(k, hash)]) }];
  });
  on(['state_getKeysPaged', 'state_getKeysPagedAt'], ([prefix, count, startKey, at]) => {
    chain.blockAt(optionalHash(at));
    const limit = Math.min(1000, Math.max(0, Number(count) || 0));
    return chain.keysPaged(text(prefix) || '0x', limit, typeof startKey === 'string' && startKey !== '' ? startKey : undefined);
  });
  on('state_subscribeStorage', ([keys], client) => {
    const list = Array.isArray(keys) ? keys.map(text) : [];
    return subs.addStorage(client, list, (k) => chain.storageAt(k), headHash());
  });
  on('state_call', ([name, data, at]) => {
    chain.blockAt(optionalHash(at));
    return stateCall(chain, text(name), text(data) || '0x');
  });

  on('author_submitExtrinsic', ([hex]) => chain.pool.submit(text(hex)).hash);
  on('author_submitAndWatchExtrinsic', ([hex], client) => {
    const pending = chain.pool.submit(text(hex));
    return subs.addWatcher(client, pending.hash);
  });
  on('author_pendingExtrinsics', () => chain.pool.hexes());

  return methods;

  function stateCall(target: NodeChain, name: string, data: string): string {
    switch (name) {
      case 'Metadata_metadata_versions':
        return u8aToHex(registry.createType('Vec<u32>', METADATA_VERSIONS).toU8a());
      case 'Metadata_metadata_at_version': {
        const version = registry.createType('u32', hexToU8a(data)).toNumber();
        return METADATA_VERSIONS.includes(version) ? u8aToHex(u8aConcat(new Uint8Array([1]), compactAddLength(runtime.metadataBytes))) : '0x00';
      }
      case 'Metadata_metadata':
        return u8aToHex(compactAddLength(runtime.metadataBytes));
      case 'AccountNonceApi_account_nonce': {
        const account = registry.createType('AccountId32', hexToU8a(data)).toString();
        return u8aToHex(registry.createType('u32', target.state.accounts[account]?.nonce ?? 0).toU8a());
      }
      case 'TransactionPaymentApi_query_info': {
        const extrinsic = registry.createType('Extrinsic', hexToU8a(data));
        const handler = SUPPORTED_CALLS[`${extrinsic.method.section}.${extrinsic.method.method}`];
        const partialFee = handler ? target.pool.feeOf(handler) : 0n;
        const value = { weight: { refTime: handler?.refTime ?? 0n, proofSize: 0 }, class: 'Normal', partialFee };
        return u8aToHex(registry.createType(runtimeApiOutput('TransactionPaymentApi', 'query_info') ?? 'RuntimeDispatchInfoV2', value).toU8a());
      }
      default:
        throw new RpcError(4003, 'Client error', `Execution failed: the devnet node does not serve the runtime call ${name}`);
    }
  }

  function runtimeApiOutput(api: string, method: string): string | undefined {
    const latest = runtime.metadata.asLatest as unknown as { apis?: Array<{ name: { toString(): string }; methods: Array<{ name: { toString(): string }; output: unknown }> }> };
    const found = latest.apis?.find((a) => a.name.toString() === api)?.methods.find((m) => m.name.toString() === method);
    return found ? registry.createLookupType(found.output as never) : undefined;
  }
}
