import type { BlockLog } from './block-log';
import { buildBlock, headerHash, headerJson, placeholderStateRoot, ZERO_HASH, type BuiltBlock, type HeaderJson } from './block-builder';
import { DerivedStorage } from './derived-storage';
import { EventCodec } from './event-codec';
import type { NodeState, NodeStateFile } from './node-state';
import { StorageCodec } from './storage-codec';
import type { SubtensorRuntime } from './subtensor-runtime';
import { RpcError } from './rpc-error';
import { TransactionPool } from './transaction-pool';

/** What a block leaves behind in memory for a while (the state's history, like a pruning node's). */
interface RecentBody {
  extrinsics: string[];
  events: string;
}

export interface NodeChainOptions {
  runtime: SubtensorRuntime;
  state: NodeState;
  stateFile: NodeStateFile;
  blockLog: BlockLog;
  /** Flat fee of a call that pays one, in rao. */
  fee: bigint;
  /** Blocks whose bodies and events are kept (state_getStorage at an older block says its state is discarded). */
  stateHistory: number;
}

export interface ProducedBlock extends BuiltBlock {
  number: number;
  hash: string;
  header: HeaderJson;
}

/**
 * The chain behind the RPC: the logical state and the storage derived from
 * it, every block's header (block log), recent blocks' bodies and events, and
 * the transaction pool. It makes blocks; the DevnetNode decides when.
 */
export class NodeChain {
  readonly runtime: SubtensorRuntime;
  readonly codec: StorageCodec;
  readonly events: EventCodec;
  readonly pool: TransactionPool;
  readonly storage: DerivedStorage;
  private current: NodeState;
  private readonly bodies = new Map<number, RecentBody>();
  private readonly timestampKey: string;
  private readonly eventsKey: string;
  private readonly numberKey: string;
  private readonly existentialDeposit: bigint;
  private readonly maxCommitmentFields: number;

  constructor(private readonly options: NodeChainOptions) {
    this.runtime = options.runtime;
    this.codec = new StorageCodec(options.runtime);
    this.events = new EventCodec(options.runtime);
    this.current = options.state;
    this.storage = new DerivedStorage(this.codec);
    this.storage.rebuild(this.current);
    this.pool = new TransactionPool({ runtime: options.runtime, state: () => this.current, head: () => this.head, hashOf: (n) => this.hashOf(n), fee: options.fee });
    this.timestampKey = this.codec.key('timestamp', 'now');
    this.eventsKey = this.codec.key('system', 'events');
    this.numberKey = this.codec.key('system', 'number');
    const consts = options.runtime.decorated.consts;
    this.existentialDeposit = BigInt(consts['balances']?.['existentialDeposit']?.toString() ?? '500');
    this.maxCommitmentFields = Number(consts['commitments']?.['maxFields']?.toString() ?? '3');
  }

  get state(): NodeState {
    return this.current;
  }

  get head(): number {
    return this.options.blockLog.length - 1;
  }

  get genesisHash(): string {
    return this.current.genesisHash;
  }

  hashOf(n: number): string | null {
    return this.options.blockLog.hashOf(n);
  }

  numberOf(hash: string): number | null {
    return this.options.blockLog.numberOf(hash);
  }

  header(n: number): HeaderJson | null {
    const record = this.options.blockLog.get(n);
    if (!record) return null;
    const parentHash = n === 0 ? ZERO_HASH : (this.hashOf(n - 1) as string);
    return headerJson(n, parentHash, placeholderStateRoot(this.genesisHash, n), record.extrinsicsRoot);
  }

  timestampOf(n: number): number | null {
    return this.options.blockLog.get(n)?.timestamp ?? null;
  }

  /** A block's extrinsics, or null when it is older than the kept history. */
  extrinsicsOf(n: number): string[] | null {
    return this.bodies.get(n)?.extrinsics ?? null;
  }

  /**
   * A storage value at a block (the head when `at` is absent). Timestamp.Now
   * and System.Number are right at every block; System.Events at every block
   * still in the history; everything else reads as it is now (the node keeps
   * one state, not a trie per block).
   */
  storageAt(key: string, at?: string | null): string | null {
    const n = this.blockAt(at);
    if (key === this.timestampKey) return this.codec.value('timestamp', 'now', this.timestampOf(n) ?? 0);
    if (key === this.numberKey) return this.codec.value('system', 'number', n);
    if (key === this.eventsKey) {
      const body = this.bodies.get(n);
      if (!body && n === 0) return '0x00'; // genesis has no events
      if (!body) throw new RpcError(4003, 'Client error', `State already discarded for ${this.hashOf(n)}`);
      return body.events;
    }
    return this.storage.get(key);
  }

  /** The block number a hash names (the head for none); an unknown hash is an error, as on a real node. */
  blockAt(at?: string | null): number {
    if (at === undefined || at === null) return this.head;
    const n = this.numberOf(at);
    if (n === null) throw new RpcError(4003, 'Client error', `UnknownBlock: Header was not found in the database: ${at}`);
    return n;
  }

  /** Keys of the head's storage, in trie order, for state_getKeysPaged. */
  keysPaged(prefix: string, count: number, startKey?: string): string[] {
    const perBlock = [this.timestampKey, this.eventsKey, this.numberKey];
    return [...new Set([...this.storage.keysPaged(prefix, count, startKey), ...perBlock.filter((k) => k.startsWith(prefix) && (startKey === undefined || k > startKey))])]
      .sort()
      .slice(0, count);
  }

  /** Makes the next block from the pool, records it durably (log, then state) and returns it. */
  async produceBlock(timestamp: number): Promise<ProducedBlock> {
    const number = this.head + 1;
    // Timestamp.Now only moves forward, even if the wall clock steps back.
    const time = Math.max(timestamp, (this.timestampOf(number - 1) ?? 0) + 1);
    const transactions = this.pool.take();
    let built: BuiltBlock;
    let header: HeaderJson;
    let hash: string;
    try {
      built = buildBlock(this.runtime, this.events, this.current, {
        number,
        timestamp: time,
        transactions,
        fee: (t) => this.pool.feeOf(t.handler),
        existentialDeposit: this.existentialDeposit,
        maxCommitmentFields: this.maxCommitmentFields,
      });
      header = headerJson(number, this.hashOf(number - 1) as string, placeholderStateRoot(this.genesisHash, number), built.extrinsicsRoot);
      hash = headerHash(this.runtime, header);
      await this.options.blockLog.append({ hash, timestamp: time, extrinsicsRoot: built.extrinsicsRoot });
    } catch (error) {
      // The block was not made: its transactions wait for the next one.
      this.pool.putBack(transactions);
      throw error;
    }
    this.current = built.state;
    // Only calls and epochs change what is derived; an empty block changes nothing there.
    if (built.epoch || built.outcomes.some((o) => o.included)) this.storage.rebuild(this.current);
    this.bodies.set(number, { extrinsics: built.extrinsics, events: built.events });
    this.bodies.delete(number - this.options.stateHistory);
    await this.options.stateFile.save(this.current);
    return { ...built, number, hash, header };
  }

  /** Applies an owner's (sudo) change to the state between blocks and saves it. */
  async mutate(change: (draft: NodeState) => void): Promise<void> {
    const draft = structuredClone(this.current);
    change(draft);
    this.current = draft;
    this.storage.rebuild(this.current);
    await this.options.stateFile.save(this.current);
  }

  async close(): Promise<void> {
    await this.options.blockLog.close();
  }
}
