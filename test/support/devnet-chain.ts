import fs from 'node:fs/promises';
import path from 'node:path';
import { signatureVerify } from '@polkadot/util-crypto';
import { z } from 'zod';
import { hexToU8a, stringToU8a, u8aToHex, u8aToString } from '@polkadot/util';
import type { ChainBlock, ChainCommitment, ChainHealth, ChainPort, ChainSigner, ChainWriter, CommitmentData, Metagraph, Neuron } from '../../main/ports/chain-port';
import { readFileIfExists, writeFileAtomically } from '../../main/platform/atomic-file';
import { simplifiedYuma } from '../../main/devnet/simplified-yuma';

/**
 * An in-process chain for unit tests of the round engine, validator and
 * views: a block clock, registration, commitments, and weights turned into
 * incentive and emission once per tempo, on the ChainPort directly (no RPC).
 * Writes are signed and the signatures checked (sr25519). The app itself never
 * uses it: its devnet is the subtensor-compatible node in main/devnet/node.
 */
export interface DevnetChainOptions {
  file: string;
  netuid: number;
  /** Wall-clock milliseconds per block; the devnet runs fast so a round takes about a minute. */
  blockMs: number;
  /** Blocks between emission epochs. */
  tempo: number;
  /** Rao emitted to miners per tempo (split by incentive). */
  minerEmissionPerTempo: bigint;
  maxNeurons?: number;
  now?: () => number;
}

const StoredNeuron = z.object({
  uid: z.number().int(),
  hotkey: z.string(),
  coldkey: z.string(),
  stake: z.string(),
  incentive: z.number(),
  consensus: z.number(),
  dividends: z.number(),
  emission: z.string(),
  validatorPermit: z.boolean(),
  lastUpdate: z.number().int(),
  registeredAt: z.number().int(),
  /** Rewards earned so far, in rao. */
  rewards: z.string(),
});

const StoredState = z.object({
  version: z.literal(1),
  genesisAt: z.number(),
  neurons: z.array(StoredNeuron),
  /** `fields`: the raw fields as hex, when committed as fields (absent: one field, the text of `data`). */
  commitments: z.array(z.object({ hotkey: z.string(), block: z.number().int(), data: z.string(), fields: z.array(z.string()).optional() })),
  /** validator uid -> (miner uid -> weight) */
  weights: z.record(z.string(), z.record(z.string(), z.number())),
  lastEpochBlock: z.number().int(),
});
type StoredState = z.infer<typeof StoredState>;

export class DevnetChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevnetChainError';
  }
}

export class DevnetChain implements ChainPort, ChainWriter {
  readonly name = 'devnet';
  private state!: StoredState;
  private readonly now: () => number;
  private readonly listeners = new Set<(block: ChainBlock) => void>();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private lastBlock = -1;
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly options: DevnetChainOptions) {
    this.now = options.now ?? Date.now;
  }

  static async open(options: DevnetChainOptions): Promise<DevnetChain> {
    const chain = new DevnetChain(options);
    const text = await readFileIfExists(options.file);
    chain.state = text
      ? StoredState.parse(JSON.parse(text))
      : { version: 1, genesisAt: chain.now(), neurons: [], commitments: [], weights: {}, lastEpochBlock: 0 };
    if (!text) await chain.persist();
    return chain;
  }

  /** Blocks follow wall-clock time since genesis, so a restart resumes the same schedule. */
  currentBlock(): number {
    return Math.max(0, Math.floor((this.now() - this.state.genesisAt) / this.options.blockMs));
  }

  async blockNumber(): Promise<number> {
    await this.runEpochs();
    return this.currentBlock();
  }

  /** Blocks are made on a fixed schedule from genesis, so any block's time is known; a future block has none yet. */
  async blockTimestamp(block: number): Promise<number> {
    if (!Number.isSafeInteger(block) || block < 0) throw new DevnetChainError(`no block ${block}: block numbers are whole and not negative`);
    const current = this.currentBlock();
    if (block > current) throw new DevnetChainError(`block ${block} is not made yet (the devnet is at block ${current})`);
    return this.timestampOf(block);
  }

  async subscribeBlocks(listener: (block: ChainBlock) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.ticker) {
      this.ticker = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.options.blockMs / 4)));
      this.ticker.unref?.();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.ticker) {
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    };
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    this.checkNetuid(netuid);
    await this.runEpochs();
    return { netuid, block: this.currentBlock(), neurons: this.state.neurons.map(toNeuron) };
  }

  async uidOf(netuid: number, hotkey: string): Promise<number | null> {
    this.checkNetuid(netuid);
    return this.state.neurons.find((n) => n.hotkey === hotkey)?.uid ?? null;
  }

  async commitments(netuid: number): Promise<Map<string, ChainCommitment>> {
    this.checkNetuid(netuid);
    return new Map(
      this.state.commitments.map((c) => [c.hotkey, { hotkey: c.hotkey, block: c.block, data: c.data, fields: c.fields ? c.fields.map((f) => hexToU8a(f)) : [stringToU8a(c.data)] }]),
    );
  }

  async tempo(netuid: number): Promise<number> {
    this.checkNetuid(netuid);
    return this.options.tempo;
  }

  /** The devnet pays at every multiple of `tempo` blocks, so a metagraph at `block` shows epoch floor(block / tempo). */
  tempoIndex(block: number, _netuid: number, tempo: number): number {
    return Math.floor(block / tempo);
  }

  /** Rewards a hotkey has earned so far (rao). */
  rewardsOf(hotkey: string): bigint {
    return BigInt(this.state.neurons.find((n) => n.hotkey === hotkey)?.rewards ?? '0');
  }

  health(): ChainHealth {
    return { state: 'connected', endpoint: 'devnet', bestBlock: this.currentBlock() };
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.listeners.clear();
    await this.writes;
  }

  async register(netuid: number, hotkey: string, signer: ChainSigner, options: { validator?: boolean; stake?: bigint } = {}): Promise<number> {
    this.checkNetuid(netuid);
    await this.verify(signer, { call: 'register', netuid, hotkey });
    const existing = this.state.neurons.find((n) => n.hotkey === hotkey);
    if (existing) return existing.uid;
    if (this.state.neurons.length >= (this.options.maxNeurons ?? 256)) throw new DevnetChainError(`subnet ${netuid} is full`);
    const uid = this.state.neurons.length;
    const block = this.currentBlock();
    this.state.neurons.push({
      uid,
      hotkey,
      coldkey: signer.address,
      stake: String(options.stake ?? (options.validator ? 1_000_000_000_000n : 0n)),
      incentive: 0,
      consensus: 0,
      dividends: 0,
      emission: '0',
      validatorPermit: options.validator ?? false,
      lastUpdate: block,
      registeredAt: block,
      rewards: '0',
    });
    await this.persist();
    return uid;
  }

  async commit(netuid: number, data: CommitmentData, signer: ChainSigner): Promise<void> {
    this.checkNetuid(netuid);
    const fields = typeof data === 'string' ? undefined : data.map((f) => u8aToHex(f));
    await this.verify(signer, { call: 'commit', netuid, data: fields ?? data });
    this.requireNeuron(signer.address);
    const block = this.currentBlock();
    const text = typeof data === 'string' ? data : data.map((f) => u8aToString(f)).join('');
    const commitment = { hotkey: signer.address, block, data: text, ...(fields ? { fields } : {}) };
    this.state.commitments = [...this.state.commitments.filter((c) => c.hotkey !== signer.address), commitment];
    await this.persist();
  }

  async setWeights(netuid: number, weights: ReadonlyMap<number, number>, signer: ChainSigner): Promise<void> {
    this.checkNetuid(netuid);
    const entries = [...weights.entries()].sort(([a], [b]) => a - b);
    await this.verify(signer, { call: 'setWeights', netuid, weights: entries });
    const validator = this.requireNeuron(signer.address);
    if (!validator.validatorPermit) throw new DevnetChainError(`${signer.address} has no validator permit`);
    for (const [uid, weight] of entries) {
      if (!this.state.neurons.some((n) => n.uid === uid)) throw new DevnetChainError(`no neuron with uid ${uid}`);
      if (!Number.isFinite(weight) || weight < 0) throw new DevnetChainError(`weight for uid ${uid} must be a non-negative number`);
    }
    this.state.weights[String(validator.uid)] = Object.fromEntries(entries.map(([uid, w]) => [String(uid), w]));
    validator.lastUpdate = this.currentBlock();
    await this.persist();
  }

  private async tick(): Promise<void> {
    const block = this.currentBlock();
    if (block === this.lastBlock) return;
    this.lastBlock = block;
    await this.runEpochs();
    const event = { number: block, timestamp: this.timestampOf(block) };
    for (const listener of this.listeners) listener(event);
  }

  private timestampOf(block: number): number {
    return this.state.genesisAt + block * this.options.blockMs;
  }

  /**
   * Once per tempo: incentive from the simplified Yuma (simplified-yuma.ts);
   * miners' emission = incentive x the tempo's emission.
   */
  private async runEpochs(): Promise<void> {
    const block = this.currentBlock();
    let changed = false;
    while (this.state.lastEpochBlock + this.options.tempo <= block) {
      this.state.lastEpochBlock += this.options.tempo;
      this.epoch();
      changed = true;
    }
    if (changed) await this.persist();
  }

  private epoch(): void {
    const validators = this.state.neurons
      .filter((n) => n.validatorPermit)
      .map((n) => ({ uid: n.uid, stake: Number(BigInt(n.stake)), weights: Object.entries(this.state.weights[String(n.uid)] ?? {}).map(([uid, w]) => [Number(uid), w] as const) }));
    const { incentive } = simplifiedYuma(validators);
    for (const n of this.state.neurons) {
      n.incentive = incentive.get(n.uid) ?? 0;
      n.consensus = n.incentive;
      const emission = BigInt(Math.floor(n.incentive * Number(this.options.minerEmissionPerTempo)));
      n.emission = String(emission);
      n.rewards = String(BigInt(n.rewards) + emission);
    }
  }

  private async verify(signer: ChainSigner, call: unknown): Promise<void> {
    const message = new TextEncoder().encode(JSON.stringify(call));
    const signature = await signer.sign(message);
    if (!signatureVerify(message, signature, signer.address).isValid) throw new DevnetChainError(`bad signature from ${signer.address}`);
  }

  private requireNeuron(hotkey: string): StoredState['neurons'][number] {
    const neuron = this.state.neurons.find((n) => n.hotkey === hotkey);
    if (!neuron) throw new DevnetChainError(`${hotkey} is not registered on the devnet`);
    return neuron;
  }

  private checkNetuid(netuid: number): void {
    if (netuid !== this.options.netuid) throw new DevnetChainError(`the devnet has subnet ${this.options.netuid}, not ${netuid}`);
  }

  private persist(): Promise<void> {
    const snapshot = `${JSON.stringify(this.state)}\n`;
    this.writes = this.writes.then(async () => {
      await fs.mkdir(path.dirname(this.options.file), { recursive: true });
      await writeFileAtomically(this.options.file, snapshot, { mode: 0o600 });
    });
    return this.writes;
  }
}

function toNeuron(n: StoredState['neurons'][number]): Neuron {
  return {
    uid: n.uid,
    hotkey: n.hotkey,
    coldkey: n.coldkey,
    stake: BigInt(n.stake),
    incentive: n.incentive,
    consensus: n.consensus,
    dividends: n.dividends,
    emission: BigInt(n.emission),
    validatorPermit: n.validatorPermit,
    lastUpdate: n.lastUpdate,
    registeredAt: n.registeredAt,
  };
}
