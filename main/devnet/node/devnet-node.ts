import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { packageInfo } from '../../platform/package-info';
import { BlockLog } from './block-log';
import { ZERO_HASH } from './block-builder';
import { NodeChain, type ProducedBlock } from './node-chain';
import { genesisState, Hyperparameters, NodeStateError, NodeStateFile, readNodeState } from './node-state';
import { RpcServer } from './rpc-server';
import { rpcMethods } from './rpc-methods';
import { Subscriptions } from './subscriptions';
import { loadSubtensorRuntime } from './subtensor-runtime';

/** The dev accounts funded at genesis: the devnet's faucet (others are paid by a transfer from //Alice). */
export const DEV_ACCOUNTS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'] as const;

export interface DevnetNodeOptions {
  /** The chain's state (JSON); its block log lives beside it as `<stateFile>.blocks`. */
  stateFile: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  netuid: number;
  /** Wall-clock milliseconds between blocks (the devnet uses 1500). */
  blockMs: number;
  // Genesis hyperparameters of the subnet; an existing chain keeps its own (change them with setHyperparameter).
  tempo: number;
  /** Rao a burned registration costs. */
  burn: bigint;
  /** Rao the subnet emits per tempo (half to miners by incentive, half to validators by dividends). */
  emissionPerTempo: bigint;
  maxAllowedValidators?: number;
  immunityPeriod?: number;
  maxAllowedUids?: number;
  commitRevealWeightsEnabled?: boolean;
  weightsVersionKey?: bigint;
  /** Flat fee in rao of every call that pays one (transfers, registration, staking). */
  fee?: bigint;
  /** Free balance of each dev account at genesis, in rao. */
  endowment?: bigint;
  /** Folder with subtensor's runtime files (default: assets/subtensor, or resources/subtensor when packaged). */
  runtimeDir?: string;
  /** Blocks whose events stay readable by hash (a pruning node's state history). */
  stateHistory?: number;
  /** Shown as system_chain. */
  chainName?: string;
  /** Told when a block could not be made or a call failed inside the node (a bug, not a user's mistake). */
  onError?: (error: unknown) => void;
}

export type HyperparameterName = keyof Hyperparameters;
type HyperparameterValue = number | bigint | boolean;

const TAO = 1_000_000_000n;

/**
 * The devnet as a real network on localhost: a subtensor-compatible JSON-RPC
 * node (see README.md beside this file) that @polkadot/api, and so
 * SubtensorChain, joins exactly as it joins finney. Blocks come on a
 * wall-clock timer; the chain survives restarts through its state file.
 */
export class DevnetNode {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private serial: Promise<unknown> = Promise.resolve();
  private lastBlockAt = Date.now();
  private readonly blockListeners = new Set<(block: { number: number; hash: string; timestamp: number }) => void>();

  private constructor(
    private readonly options: DevnetNodeOptions,
    private readonly chain: NodeChain,
    private readonly subs: Subscriptions,
    private readonly server: RpcServer,
  ) {}

  static async start(options: DevnetNodeOptions): Promise<DevnetNode> {
    checkOptions(options);
    await cryptoWaitReady();
    const runtime = loadSubtensorRuntime(options.runtimeDir);
    const stateFile = new NodeStateFile(options.stateFile);
    const blockFile = `${options.stateFile}.blocks`;
    let state = await readNodeState(options.stateFile);
    let blockLog: BlockLog;
    if (state) {
      if (state.netuid !== options.netuid) throw new NodeStateError(`the devnet chain in ${options.stateFile} runs subnet ${state.netuid}, not ${options.netuid}`);
      blockLog = await BlockLog.open(blockFile, state.head + 1);
      if (blockLog.hashOf(0) !== state.genesisHash) {
        await blockLog.close();
        throw new NodeStateError(`the devnet block log ${blockFile} belongs to another chain than ${options.stateFile}; move both away to start a new chain`);
      }
    } else {
      state = genesisState({ netuid: options.netuid, hyperparameters: genesisHyperparameters(options), endowed: devAccounts(options.endowment ?? 1_000_000n * TAO), now: Date.now() });
      // A log left without its state belongs to no chain any more: start it again, genesis first.
      blockLog = await BlockLog.open(blockFile, 0);
      await blockLog.append({ hash: state.genesisHash, timestamp: state.genesisTime, extrinsicsRoot: ZERO_HASH });
      await stateFile.save(state);
    }
    const chain = new NodeChain({ runtime, state, stateFile, blockLog, fee: options.fee ?? 125_000n, stateHistory: options.stateHistory ?? 256 });
    const subs = new Subscriptions();
    let server: RpcServer;
    try {
      server = await RpcServer.listen(options.host ?? '127.0.0.1', options.port ?? 0, rpcMethods(chain, subs, { chain: options.chainName ?? 'Tandem devnet', version: packageInfo().version }));
    } catch (error) {
      await chain.close();
      throw error;
    }
    const node = new DevnetNode(options, chain, subs, server);
    node.schedule();
    return node;
  }

  /** Where clients connect: ws://host:port. */
  get url(): string {
    const { address, port } = this.server.address;
    return `ws://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  get genesisHash(): string {
    return this.chain.genesisHash;
  }

  /** The best (and, on the devnet, finalized) block. */
  get blockNumber(): number {
    return this.chain.head;
  }

  get netuid(): number {
    return this.chain.state.netuid;
  }

  hyperparameters(): Hyperparameters {
    return { ...this.chain.state.hyperparameters };
  }

  /** Calls back after every block is made and saved; returns the unsubscribe function. */
  onBlock(listener: (block: { number: number; hash: string; timestamp: number }) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  /**
   * The owner's (sudo) change of a subnet hyperparameter, e.g.
   * `setHyperparameter('commitRevealWeightsEnabled', true)`. Takes effect for
   * the next block; not reachable over RPC.
   */
  async setHyperparameter(name: HyperparameterName, value: HyperparameterValue): Promise<void> {
    if (!(name in Hyperparameters.shape)) throw new Error(`no hyperparameter ${String(name)}; there are ${Object.keys(Hyperparameters.shape).join(', ')}`);
    const next = { ...this.chain.state.hyperparameters, [name]: typeof value === 'bigint' ? value.toString() : value };
    const parsed = Hyperparameters.safeParse(next);
    if (!parsed.success) throw new Error(`${name} cannot be ${String(value)}: ${parsed.error.issues[0]?.message}`);
    await this.inOrder(() => this.chain.mutate((draft) => (draft.hyperparameters = parsed.data)));
  }

  /** Adds free balance to an account (sudo's force_set_balance, as a top-up); not reachable over RPC. */
  async endow(address: string, amount: bigint): Promise<void> {
    try {
      decodeAddress(address);
    } catch (error) {
      throw new Error(`cannot endow ${address}: not an SS58 address (${(error as Error).message})`, { cause: error });
    }
    if (amount <= 0n) throw new Error('an endowment must be a positive number of rao');
    await this.inOrder(() =>
      this.chain.mutate((draft) => {
        const account = draft.accounts[address] ?? { free: '0', nonce: 0 };
        draft.accounts[address] = { ...account, free: (BigInt(account.free) + amount).toString() };
      }),
    );
  }

  /**
   * Makes a hotkey the subnet's owner hotkey (SubnetOwnerHotkey, set on
   * subtensor by register_network or the owner's set_subnet_owner_hotkey):
   * the hotkey whose commitment names the subnet's run. Not reachable over RPC.
   */
  async setSubnetOwnerHotkey(hotkey: string): Promise<void> {
    try {
      decodeAddress(hotkey);
    } catch (error) {
      throw new Error(`cannot make ${hotkey} the subnet owner: not an SS58 address (${(error as Error).message})`, { cause: error });
    }
    await this.inOrder(() => this.chain.mutate((draft) => (draft.subnetOwnerHotkey = hotkey)));
  }

  /** Stops making blocks, closes every connection and waits for the last write. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.server.close();
    await this.serial.catch(() => undefined);
    await this.chain.close();
  }

  /** Runs state changes one after another: a block never interleaves with an admin change. */
  private inOrder<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work, work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = Math.max(0, this.lastBlockAt + this.options.blockMs - Date.now());
    this.timer = setTimeout(() => {
      this.lastBlockAt = Date.now();
      void this.inOrder(() => this.produce())
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => this.schedule());
    }, delay);
  }

  private async produce(): Promise<void> {
    if (this.closed) return;
    const block = await this.chain.produceBlock(Date.now());
    this.announce(block);
  }

  private announce(block: ProducedBlock): void {
    this.subs.announceBlock(block.header, block.hash, (key) => this.chain.storageAt(key));
    for (const outcome of block.outcomes) {
      if (outcome.included) this.subs.extrinsicStatus(outcome.transaction.hash, [{ inBlock: block.hash }, { finalized: block.hash }]);
      else this.subs.extrinsicStatus(outcome.transaction.hash, ['invalid']);
      if (outcome.included && outcome.internalError !== undefined) this.options.onError?.(outcome.internalError);
    }
    const timestamp = this.chain.timestampOf(block.number) as number;
    for (const listener of this.blockListeners) listener({ number: block.number, hash: block.hash, timestamp });
  }
}

function devAccounts(free: bigint): Array<{ address: string; free: bigint }> {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return DEV_ACCOUNTS.map((uri) => ({ address: keyring.addFromUri(uri).address, free }));
}

function genesisHyperparameters(options: DevnetNodeOptions): Hyperparameters {
  const parsed = Hyperparameters.safeParse({
    tempo: options.tempo,
    burn: options.burn.toString(),
    maxAllowedValidators: options.maxAllowedValidators ?? 64,
    immunityPeriod: options.immunityPeriod ?? 4096,
    commitRevealWeightsEnabled: options.commitRevealWeightsEnabled ?? false,
    weightsVersionKey: (options.weightsVersionKey ?? 0n).toString(),
    maxAllowedUids: options.maxAllowedUids ?? 256,
    emissionPerTempo: options.emissionPerTempo.toString(),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`devnet node option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

function checkOptions(options: DevnetNodeOptions): void {
  if (!Number.isInteger(options.netuid) || options.netuid < 1 || options.netuid > 65535) throw new Error(`devnet node option netuid: ${options.netuid} is not a subnet uid from 1 to 65535`);
  if (!Number.isFinite(options.blockMs) || options.blockMs < 10) throw new Error(`devnet node option blockMs: ${options.blockMs} is under 10 ms`);
  genesisHyperparameters(options);
}

