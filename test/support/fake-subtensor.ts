import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { expandMetadata } from '@polkadot/types/metadata';
import { compactAddLength, hexToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { EventCodec, type DispatchErrorSpec } from '../../main/devnet/node/event-codec';
import { StorageCodec } from '../../main/devnet/node/storage-codec';

/**
 * A subtensor node in a test: a JSON-RPC WebSocket server (ws) that answers
 * what @polkadot/api asks, from the REAL metadata files and recorded finney
 * responses in ../shared/fixtures/subtensor, plus storage values encoded with
 * that metadata's own registry where the recordings do not cover a case.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SUBTENSOR_FIXTURES = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'subtensor');
export const hasSubtensorFixtures = fs.existsSync(path.join(SUBTENSOR_FIXTURES, 'metadata.scale'));
export const SKIP_SUBTENSOR = 'subtensor fixtures absent: ../shared/fixtures/subtensor not found beside the checkout';

export const FINNEY_GENESIS = '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Recorded = Record<string, Record<string, Record<string, { result?: Json; error?: Json }>>>;

let recordedCache: Recorded | undefined;
/** The recorded finney JSON-RPC traffic: seed → method → JSON params → response. */
export function recorded(): Recorded {
  recordedCache ??= JSON.parse(fs.readFileSync(path.join(SUBTENSOR_FIXTURES, 'rpc', 'bittensor-integration-websocket-data.json'), 'utf8')) as Recorded;
  return recordedCache;
}

/** The one recorded answer of `method` in a seed (first when several). */
export function recordedResult(seed: string, method: string, paramsIncludes?: string): Json {
  const calls = recorded()[seed]?.[method];
  if (!calls) throw new Error(`no recorded ${method} in seed ${seed}`);
  const key = Object.keys(calls).find((k) => paramsIncludes === undefined || k.includes(paramsIncludes));
  if (key === undefined) throw new Error(`no recorded ${method}(${paramsIncludes}) in seed ${seed}`);
  return calls[key]?.result ?? null;
}

export type SpecName = 240 | 343 | 393 | 424;

export interface FakeRuntime {
  spec: SpecName;
  registry: TypeRegistry;
  metadata: Metadata;
  /** What state_getMetadata returns (a real node gives v14 there; we only have v16 for the newest specs). */
  stateGetMetadataHex: string;
  /** Versions answered by Metadata_metadata_versions, and the bytes of each for Metadata_metadata_at_version. */
  metadataAtVersion: Map<number, Uint8Array>;
  runtimeVersion: Record<string, Json>;
  /** Decorated storage/tx of this runtime (to encode keys and values). */
  decorated: ReturnType<typeof expandMetadata>;
}

const runtimeCache = new Map<SpecName, FakeRuntime>();

/**
 * A runtime from the fixture files. Spec 343 uses the recorded finney
 * state_getRuntimeVersion of the `metagraph` seed as is; the other specs reuse
 * it with their own specVersion (their metadata files are real, their runtime
 * version answer is not recorded anywhere).
 */
export function loadRuntime(spec: SpecName): FakeRuntime {
  const cached = runtimeCache.get(spec);
  if (cached) return cached;
  const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(SUBTENSOR_FIXTURES, name)));
  const registry = new TypeRegistry();
  const metadataAtVersion = new Map<number, Uint8Array>();
  let stateGetMetadataHex: string;
  let metadata: Metadata;
  if (spec === 343) {
    const v15 = read('metadata.scale');
    metadata = new Metadata(registry, v15);
    metadataAtVersion.set(15, v15);
    stateGetMetadataHex = fs.readFileSync(path.join(SUBTENSOR_FIXTURES, 'metadata-finney-spec343-v14.hex'), 'utf8').trim();
  } else {
    const file = { 240: 'metadata-localnet-spec240-v15.scale', 393: 'metadata-finney-spec393-v16.scale', 424: 'metadata-finney-spec424-v16.scale' }[spec];
    const bytes = read(file);
    metadata = new Metadata(registry, bytes);
    metadataAtVersion.set(metadata.version, bytes);
    stateGetMetadataHex = u8aToHex(bytes);
  }
  registry.setMetadata(metadata);
  const recordedVersion = recordedResult('metagraph', 'state_getRuntimeVersion') as Record<string, Json>;
  const runtimeVersion = { ...recordedVersion, specVersion: spec };
  const runtime: FakeRuntime = { spec, registry, metadata, stateGetMetadataHex, metadataAtVersion, runtimeVersion, decorated: expandMetadata(registry, metadata) };
  runtimeCache.set(spec, runtime);
  return runtime;
}

/** Encodes storage keys and values with the runtime's own metadata (the devnet node's StorageCodec) and collects them. */
export class StorageBuilder {
  readonly entries = new Map<string, string>();
  private readonly codec: StorageCodec;
  constructor(readonly runtime: FakeRuntime) {
    this.codec = new StorageCodec(runtime);
  }

  key(section: string, item: string, ...args: unknown[]): string {
    return this.codec.key(section, item, ...args);
  }

  /** Hex of `value` encoded as the storage item's value type. */
  encodeValue(section: string, item: string, value: unknown): string {
    return this.codec.value(section, item, value);
  }

  set(section: string, item: string, args: unknown[], value: unknown): this {
    this.entries.set(this.key(section, item, ...args), this.encodeValue(section, item, value));
    return this;
  }

  has(section: string, item: string): boolean {
    return this.codec.has(section, item);
  }
}

export interface SubmittedExtrinsic {
  section: string;
  method: string;
  args: unknown[];
  signer: string;
}

export interface FakeSubtensorOptions {
  runtime: FakeRuntime;
  storage: Map<string, string>;
  chainName?: string;
  genesisHash?: string;
  firstBlock?: number;
  /**
   * Applied when an extrinsic is submitted (e.g. a registration adds the hotkey to storage).
   * Returning a dispatch error makes the call fail in its block (System.ExtrinsicFailed).
   */
  onSubmit?: (extrinsic: SubmittedExtrinsic, server: FakeSubtensor) => void | { dispatchError: DispatchErrorSpec };
  /** Fee answered by TransactionPaymentApi_query_info, in rao. */
  fee?: bigint;
  /** Each block's Timestamp.Now in ms (default: a block every 12 s exactly); lets a test give blocks irregular times. */
  blockTimestamp?: (block: number) => number;
}

/** A block every 12 s from a fixed epoch: the fake node's default clock. */
export const regularBlockTimestamp = (block: number): number => 1_700_000_000_000 + block * 12_000;

interface Subscription {
  socket: WebSocket;
  type: string;
}

export class FakeSubtensor {
  readonly calls: Array<{ method: string; params: Json[] }> = [];
  readonly submitted: SubmittedExtrinsic[] = [];
  private server: WebSocketServer | undefined;
  private port = 0;
  private block: number;
  private readonly subs = new Map<string, Subscription>();
  private nextSub = 1;
  private readonly genesis: string;
  /** Per block: the extrinsics submitted into it and its System.Events (blocks without any have neither). */
  private readonly bodies = new Map<number, { extrinsics: string[]; events: string }>();

  private constructor(readonly options: FakeSubtensorOptions) {
    this.block = options.firstBlock ?? 6852690;
    this.genesis = options.genesisHash ?? FINNEY_GENESIS;
    this.setTimestamp();
  }

  static async start(options: FakeSubtensorOptions): Promise<FakeSubtensor> {
    const fake = new FakeSubtensor(options);
    await fake.listen(0);
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get blockNumber(): number {
    return this.block;
  }

  get storage(): Map<string, string> {
    return this.options.storage;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = new WebSocketServer({ host: '127.0.0.1', port });
      server.once('error', reject);
      server.once('listening', () => {
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
      server.on('connection', (socket) => {
        socket.on('message', (data) => this.onMessage(socket, data.toString()));
        socket.on('close', () => {
          for (const [id, sub] of this.subs) if (sub.socket === socket) this.subs.delete(id);
        });
      });
    });
  }

  blockHash(n: number): string {
    return n === 0 ? this.genesis : blake2AsHex(`fake-subtensor-block-${n}`);
  }

  header(n: number): Json {
    return {
      parentHash: this.blockHash(Math.max(0, n - 1)),
      number: `0x${n.toString(16)}`,
      stateRoot: `0x${'11'.repeat(32)}`,
      extrinsicsRoot: `0x${'22'.repeat(32)}`,
      digest: { logs: [] },
    };
  }

  /** Block `n`'s Timestamp.Now. */
  timestampOf(n: number): number {
    return (this.options.blockTimestamp ?? regularBlockTimestamp)(n);
  }

  private setTimestamp(): void {
    const builder = new StorageBuilder(this.options.runtime);
    if (builder.has('timestamp', 'now')) this.options.storage.set(builder.key('timestamp', 'now'), builder.encodeValue('timestamp', 'now', this.timestampOf(this.block)));
  }

  /**
   * Storage as of block `hash`. Only Timestamp.Now is kept per block (it is
   * the one item every block changes); the rest reads as it is now.
   */
  private storageAt(key: string, hash: string): string | null {
    const builder = new StorageBuilder(this.options.runtime);
    if (builder.has('timestamp', 'now') && key === builder.key('timestamp', 'now')) return builder.encodeValue('timestamp', 'now', this.timestampOf(this.numberOf(hash)));
    if (key === builder.key('system', 'events')) return this.bodies.get(this.numberOf(hash))?.events ?? '0x00';
    return this.options.storage.get(key) ?? null;
  }

  /** A new best block: every head subscriber hears of it. */
  produceBlock(): number {
    this.block += 1;
    this.setTimestamp();
    for (const [id, sub] of this.subs) {
      if (sub.type === 'chain_newHead' || sub.type === 'chain_finalizedHead' || sub.type === 'chain_allHead') {
        this.notify(sub.socket, sub.type, id, this.header(this.block));
      }
    }
    return this.block;
  }

  /** Drops every client socket (the node went away for a moment). */
  dropConnections(): void {
    for (const client of this.server?.clients ?? []) client.terminate();
  }

  /** Stops listening (connections refused) until `resume()`; same port. */
  async pause(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.pause();
  }

  storageKeysRead(): string[] {
    const keys: string[] = [];
    for (const call of this.calls) {
      if (call.method === 'state_getStorage' || call.method === 'state_getStorageAt') keys.push(String(call.params[0]));
      if (call.method === 'state_queryStorageAt' || call.method === 'state_subscribeStorage') keys.push(...((call.params[0] as string[]) ?? []));
      if (call.method === 'state_getKeysPaged') keys.push(String(call.params[0]));
    }
    return keys;
  }

  private notify(socket: WebSocket, method: string, subscription: string, result: Json): void {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify({ jsonrpc: '2.0', method, params: { subscription, result } }));
  }

  private subscribe(socket: WebSocket, type: string): string {
    const id = `sub${this.nextSub++}`;
    this.subs.set(id, { socket, type });
    return id;
  }

  private onMessage(socket: WebSocket, text: string): void {
    let request: { id: number; method: string; params?: Json[] };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      return;
    }
    const params = request.params ?? [];
    this.calls.push({ method: request.method, params });
    const reply = (result: Json) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }));
    const fail = (message: string) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32000, message } }));
    try {
      const answer = this.answer(socket, request.method, params, reply);
      if (answer !== undefined) reply(answer);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }

  /** The answer, or undefined when `reply` was already called (subscriptions that push at once). */
  private answer(socket: WebSocket, method: string, params: Json[], reply: (result: Json) => void): Json | undefined {
    const { runtime, storage } = this.options;
    switch (method) {
      case 'rpc_methods':
        return recordedResult('get_balance', 'rpc_methods');
      case 'system_chain':
        return this.options.chainName ?? 'Bittensor';
      case 'system_properties':
        return { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' };
      case 'system_health':
        return { peers: 8, isSyncing: false, shouldHavePeers: true };
      case 'system_name':
        return 'node-subtensor';
      case 'system_version':
        return 'fake';
      case 'system_accountNextIndex':
        return 0;
      case 'chain_getBlockHash': {
        const n = params[0];
        // A real node knows no hash for a block it has not made yet.
        if (typeof n === 'number' && n > this.block) return null;
        return typeof n === 'number' ? this.blockHash(n) : this.blockHash(this.block);
      }
      case 'chain_getHead':
      case 'chain_getFinalizedHead':
        return this.blockHash(this.block);
      case 'chain_getHeader': {
        const hash = params[0];
        return this.header(typeof hash === 'string' ? this.numberOf(hash) : this.block);
      }
      case 'chain_getBlock': {
        const hash = params[0];
        const n = typeof hash === 'string' ? this.numberOf(hash) : this.block;
        return { block: { header: this.header(n), extrinsics: this.bodies.get(n)?.extrinsics ?? [] }, justifications: null };
      }
      case 'state_getRuntimeVersion':
        return runtime.runtimeVersion;
      case 'state_getMetadata':
        return runtime.stateGetMetadataHex;
      case 'state_getStorage':
      case 'state_getStorageAt':
        return typeof params[1] === 'string' ? this.storageAt(String(params[0]), params[1]) : (storage.get(String(params[0])) ?? null);
      case 'state_queryStorageAt': {
        const keys = (params[0] as string[]) ?? [];
        return [{ block: this.blockHash(this.block), changes: keys.map((k) => [k, storage.get(k) ?? null]) }];
      }
      case 'state_getKeysPaged':
      case 'state_getKeysPagedAt': {
        const prefix = String(params[0]);
        const count = Number(params[1]);
        const start = typeof params[2] === 'string' ? params[2] : '';
        return [...storage.keys()]
          .filter((k) => k.startsWith(prefix) && k > start)
          .sort()
          .slice(0, count);
      }
      case 'state_call':
        return this.stateCall(String(params[0]), String(params[1] ?? '0x'));
      case 'chain_subscribeNewHead':
      case 'chain_subscribeNewHeads':
      case 'chain_subscribeAllHeads':
      case 'chain_subscribeFinalizedHeads': {
        const type = method.startsWith('chain_subscribeNewHead') ? 'chain_newHead' : method === 'chain_subscribeAllHeads' ? 'chain_allHead' : 'chain_finalizedHead';
        const id = this.subscribe(socket, type);
        reply(id);
        this.notify(socket, type, id, this.header(this.block));
        return undefined;
      }
      case 'state_subscribeRuntimeVersion': {
        const id = this.subscribe(socket, 'state_runtimeVersion');
        reply(id);
        this.notify(socket, 'state_runtimeVersion', id, runtime.runtimeVersion);
        return undefined;
      }
      case 'state_subscribeStorage': {
        const keys = (params[0] as string[] | undefined) ?? [];
        const id = this.subscribe(socket, 'state_storage');
        reply(id);
        this.notify(socket, 'state_storage', id, { block: this.blockHash(this.block), changes: keys.map((k) => [k, storage.get(k) ?? null]) });
        return undefined;
      }
      case 'state_unsubscribeStorage':
      case 'chain_unsubscribeNewHead':
      case 'chain_unsubscribeNewHeads':
      case 'chain_unsubscribeAllHeads':
      case 'chain_unsubscribeFinalizedHeads':
      case 'state_unsubscribeRuntimeVersion':
      case 'author_unwatchExtrinsic':
        this.subs.delete(String(params[0]));
        return true;
      case 'author_submitAndWatchExtrinsic': {
        const extrinsic = runtime.registry.createType('Extrinsic', String(params[0]));
        const submitted: SubmittedExtrinsic = {
          section: extrinsic.method.section,
          method: extrinsic.method.method,
          args: extrinsic.method.args.map((a) => a.toJSON()),
          signer: extrinsic.signer.toString(),
        };
        this.submitted.push(submitted);
        const id = this.subscribe(socket, 'author_extrinsicUpdate');
        reply(id);
        const outcome = this.options.onSubmit?.(submitted, this);
        this.notify(socket, 'author_extrinsicUpdate', id, 'ready');
        this.bodies.set(this.block + 1, { extrinsics: [String(params[0])], events: this.extrinsicEvents(outcome ? outcome.dispatchError : null) });
        const block = this.produceBlock();
        this.notify(socket, 'author_extrinsicUpdate', id, { inBlock: this.blockHash(block) });
        return undefined;
      }
      default:
        throw new Error(`Method not found: ${method}`);
    }
  }

  /** System.Events of a block whose one extrinsic (index 0) succeeded or failed with `error`. */
  private extrinsicEvents(error: DispatchErrorSpec | null): string {
    const events = new EventCodec(this.options.runtime);
    const dispatchInfo = events.dispatchInfo({ refTime: 1_000_000n, paysFee: true });
    const event = error
      ? { pallet: 'System', name: 'ExtrinsicFailed', data: { dispatchError: events.dispatchError(error), dispatchInfo } }
      : { pallet: 'System', name: 'ExtrinsicSuccess', data: { dispatchInfo } };
    return events.records([{ phase: { applyExtrinsic: 0 }, event }]);
  }

  private numberOf(hash: string): number {
    for (let n = this.block; n >= Math.max(0, this.block - 5000); n--) if (this.blockHash(n) === hash) return n;
    return this.block;
  }

  private stateCall(name: string, data: string): Json {
    const { runtime } = this.options;
    const registry = runtime.registry;
    if (name === 'Metadata_metadata_versions') return u8aToHex(registry.createType('Vec<u32>', [...runtime.metadataAtVersion.keys()]).toU8a());
    if (name === 'Metadata_metadata_at_version') {
      const version = registry.createType('u32', hexToU8a(data)).toNumber();
      const bytes = runtime.metadataAtVersion.get(version);
      return bytes ? u8aToHex(new Uint8Array([1, ...compactAddLength(bytes)])) : '0x00';
    }
    if (name === 'TransactionPaymentApi_query_info') {
      const output = this.runtimeApiOutput('TransactionPaymentApi', 'query_info');
      const value = { weight: { refTime: 1_000_000, proofSize: 1000 }, class: 'Normal', partialFee: (this.options.fee ?? 125_000n).toString() };
      return u8aToHex(registry.createType(output ?? 'RuntimeDispatchInfoV2', value).toU8a());
    }
    throw new Error(`runtime call ${name} is not served by the fake node`);
  }

  private runtimeApiOutput(api: string, method: string): string | undefined {
    const latest = this.options.runtime.metadata.asLatest as unknown as { apis?: Array<{ name: { toString(): string }; methods: Array<{ name: { toString(): string }; output: unknown }> }> };
    const found = latest.apis?.find((a) => a.name.toString() === api)?.methods.find((m) => m.name.toString() === method);
    return found ? this.options.runtime.registry.createLookupType(found.output as never) : undefined;
  }
}

/** A neuron as the fixtures describe it, before it is encoded into storage. */
export interface NeuronFixture {
  uid: number;
  hotkey: string;
  coldkey: string;
  /** Raw u16 (0..65535). */
  incentive: number;
  consensus: number;
  dividends: number;
  emission: bigint;
  stake: bigint;
  validatorPermit: boolean;
  lastUpdate: number;
  registeredAt: number;
  /** Only for runtimes that still have Rank: a value the client must NOT use. */
  chainRank?: number;
}

/** The subnet storage a metagraph read needs, encoded with the runtime's metadata. */
export function subnetStorage(builder: StorageBuilder, netuid: number, neurons: NeuronFixture[], extra: { tempo?: number; burn?: bigint; totalNetworks?: number } = {}): StorageBuilder {
  const sorted = [...neurons].sort((a, b) => a.uid - b.uid);
  const byUid = (f: (n: NeuronFixture) => unknown, fill: unknown) => {
    const size = sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as NeuronFixture).uid + 1;
    const out: unknown[] = new Array(size).fill(fill);
    for (const n of sorted) out[n.uid] = f(n);
    return out;
  };
  builder.set('subtensorModule', 'networksAdded', [netuid], true);
  builder.set('subtensorModule', 'totalNetworks', [], extra.totalNetworks ?? Math.max(netuid + 1, 4));
  builder.set('subtensorModule', 'subnetworkN', [netuid], sorted.length);
  builder.set('subtensorModule', 'tempo', [netuid], extra.tempo ?? 360);
  builder.set('subtensorModule', 'burn', [netuid], (extra.burn ?? 1_000_000_000n).toString());
  builder.set('subtensorModule', 'incentive', [netuid], byUid((n) => n.incentive, 0));
  builder.set('subtensorModule', 'consensus', [netuid], byUid((n) => n.consensus, 0));
  builder.set('subtensorModule', 'dividends', [netuid], byUid((n) => n.dividends, 0));
  builder.set('subtensorModule', 'emission', [netuid], byUid((n) => n.emission.toString(), '0'));
  builder.set('subtensorModule', 'validatorPermit', [netuid], byUid((n) => n.validatorPermit, false));
  builder.set('subtensorModule', 'lastUpdate', [netuid], byUid((n) => n.lastUpdate, 0));
  if (builder.has('subtensorModule', 'rank')) builder.set('subtensorModule', 'rank', [netuid], byUid((n) => n.chainRank ?? 0, 0));
  for (const n of sorted) {
    builder.set('subtensorModule', 'keys', [netuid, n.uid], n.hotkey);
    builder.set('subtensorModule', 'uids', [netuid, n.hotkey], n.uid);
    builder.set('subtensorModule', 'owner', [n.hotkey], n.coldkey);
    builder.set('subtensorModule', 'blockAtRegistration', [netuid, n.uid], n.registeredAt);
    if (builder.has('subtensorModule', 'totalHotkeyAlpha')) builder.set('subtensorModule', 'totalHotkeyAlpha', [n.hotkey, netuid], n.stake.toString());
    else if (builder.has('subtensorModule', 'totalHotkeyStake')) builder.set('subtensorModule', 'totalHotkeyStake', [n.hotkey], n.stake.toString());
  }
  return builder;
}

/**
 * The real finney netuid-1 metagraph at block 6852690 (spec 343), from the
 * recorded `NeuronInfoRuntimeApi_get_neurons_lite` answer, decoded with the
 * spec-343 metadata's own runtime-API types.
 */
export function recordedNeurons(): NeuronFixture[] {
  const runtime = loadRuntime(343);
  const latest = runtime.metadata.asLatest as unknown as { apis: Array<{ name: { toString(): string }; methods: Array<{ name: { toString(): string }; output: unknown }> }> };
  const method = latest.apis.find((a) => a.name.toString() === 'NeuronInfoRuntimeApi')?.methods.find((m) => m.name.toString() === 'get_neurons_lite');
  if (!method) throw new Error('spec 343 metadata has no NeuronInfoRuntimeApi.get_neurons_lite');
  const hex = recordedResult('metagraph', 'state_call', 'NeuronInfoRuntimeApi_get_neurons_lite') as string;
  const decoded = runtime.registry.createType(runtime.registry.createLookupType(method.output as never), hex).toJSON() as Array<{
    uid: number;
    hotkey: string;
    coldkey: string;
    incentive: number;
    consensus: number;
    dividends: number;
    emission: number | string;
    stake: Array<[string, number | string]>;
    validatorPermit: boolean;
    lastUpdate: number;
    rank: number;
  }>;
  return decoded.map((n, i) => ({
    uid: n.uid,
    hotkey: n.hotkey,
    coldkey: n.coldkey,
    incentive: n.incentive,
    consensus: n.consensus,
    dividends: n.dividends,
    emission: BigInt(n.emission),
    stake: n.stake.reduce((sum, [, amount]) => sum + BigInt(amount), 0n),
    validatorPermit: n.validatorPermit,
    lastUpdate: n.lastUpdate,
    registeredAt: 6_000_000 + i,
    chainRank: n.rank,
  }));
}
