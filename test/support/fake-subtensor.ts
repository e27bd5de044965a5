import type { AddressInfo } from 'node:net';
import { blake2AsHex } from '@polkadot/util-crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DispatchErrorSpec } from '../../main/devnet/node/event-codec';
import { extrinsicEvents, stateCall } from './fake-runtime-calls';
import { recordedResult, type FakeRuntime, type Json } from './subtensor-fixtures';
import { StorageBuilder } from './subtensor-storage';

/**
 * A subtensor node in a test: a JSON-RPC WebSocket server (ws) that answers
 * what @polkadot/api asks, from the REAL metadata files and recorded finney
 * responses in ../shared/fixtures/subtensor (subtensor-fixtures), plus storage
 * values encoded with that metadata's own registry where the recordings do not
 * cover a case (subtensor-storage).
 */

export const FINNEY_GENESIS = '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03';

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
        return stateCall(runtime, String(params[0]), String(params[1] ?? '0x'), this.options.fee ?? 125_000n);
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
        this.bodies.set(this.block + 1, { extrinsics: [String(params[0])], events: extrinsicEvents(this.options.runtime, outcome ? outcome.dispatchError : null) });
        const block = this.produceBlock();
        this.notify(socket, 'author_extrinsicUpdate', id, { inBlock: this.blockHash(block) });
        return undefined;
      }
      default:
        throw new Error(`Method not found: ${method}`);
    }
  }

  private numberOf(hash: string): number {
    for (let n = this.block; n >= Math.max(0, this.block - 5000); n--) if (this.blockHash(n) === hash) return n;
    return this.block;
  }
}
