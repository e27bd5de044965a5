import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { Codec } from '@polkadot/types/types';
import { u8aToHex, u8aToString, hexToU8a, isHex } from '@polkadot/util';
import type {
  ChainBlock,
  ChainCommitment,
  ChainEstimate,
  ChainHealth,
  ChainPort,
  ChainSigner,
  ChainWrite,
  ChainWriter,
  Metagraph,
  Neuron,
} from '../../ports/chain-port';
import { SubtensorConnection, type BackoffOptions } from './connection';
import { submitExtrinsic } from './extrinsic-submission';

export interface SubtensorChainOptions {
  /** Shown in logs and the UI: finney, test, local or the URL. */
  name: string;
  endpoint: string;
  backoff?: Partial<BackoffOptions>;
  requestTimeoutMs?: number;
  /** How long `open` waits for the first connection and metadata. */
  readyTimeoutMs?: number;
  /** How long a submitted extrinsic may take to land in a block. */
  inclusionTimeoutMs?: number;
}

/** u16 scores on chain are fixed-point fractions of 65535. */
export const U16_MAX = 65535;

/** Storage items of SubtensorModule this client can use, as found in the runtime's metadata. */
export interface RuntimeFeatures {
  specVersion: number;
  /** `Rank`/`Trust` exist up to spec 393 and are gone after; rank is always computed, this is only reported. */
  hasRankStorage: boolean;
  /** Stake source: dTAO `TotalHotkeyAlpha` (spec ≥ 343), pre-dTAO `TotalHotkeyStake`, or none. */
  stakeSource: 'TotalHotkeyAlpha' | 'TotalHotkeyStake' | 'none';
  hasCommitments: boolean;
  hasTimestamp: boolean;
}

function toBigInt(value: Codec | undefined | null): bigint {
  if (value === undefined || value === null) return 0n;
  const text = value.toString();
  return /^\d+$/.test(text) ? BigInt(text) : 0n;
}

function toNumber(value: Codec | undefined | null): number {
  if (value === undefined || value === null) return 0;
  const n = Number(value.toString());
  return Number.isFinite(n) ? n : 0;
}

function vec(codec: Codec): Codec[] {
  return Array.isArray(codec) ? (codec as unknown as Codec[]) : [];
}

/**
 * Bittensor subtensor over @polkadot/api: reads the metagraph from storage
 * items present in every runtime since dTAO (feature-detected from metadata,
 * so spec 343 and 424 read the same way), writes burned registrations and
 * commitments, and reconnects with backoff while reporting its health.
 */
export class SubtensorChain implements ChainPort, ChainWriter {
  readonly name: string;
  private readonly connection: SubtensorConnection;
  private features: RuntimeFeatures | null = null;

  private constructor(private readonly options: SubtensorChainOptions) {
    this.name = options.name;
    this.connection = new SubtensorConnection({
      endpoint: options.endpoint,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
  }

  /** Connects and waits for metadata. Later drops are retried with backoff; only this first wait can fail. */
  static async open(options: SubtensorChainOptions): Promise<SubtensorChain> {
    const chain = new SubtensorChain(options);
    chain.connection.connect();
    try {
      await chain.connection.ready(options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      await chain.close();
      throw error;
    }
    return chain;
  }

  get api(): ApiPromise {
    return this.connection.api;
  }

  health(): ChainHealth {
    return this.connection.health();
  }

  onHealth(listener: (health: ChainHealth) => void): () => void {
    return this.connection.onHealth(listener);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** The chain's genesis block hash (0x…): which chain this endpoint serves, whatever its name. */
  genesisHash(): string {
    return this.api.genesisHash.toHex();
  }

  /** What this runtime offers, from its metadata (re-read when the runtime upgrades). */
  runtimeFeatures(): RuntimeFeatures {
    const specVersion = this.api.runtimeVersion.specVersion.toNumber();
    if (this.features?.specVersion === specVersion) return this.features;
    const sub = this.api.query['subtensorModule'] ?? {};
    this.features = {
      specVersion,
      hasRankStorage: 'rank' in sub,
      stakeSource: 'totalHotkeyAlpha' in sub ? 'TotalHotkeyAlpha' : 'totalHotkeyStake' in sub ? 'TotalHotkeyStake' : 'none',
      hasCommitments: Boolean(this.api.query['commitments']?.['commitmentOf']),
      hasTimestamp: Boolean(this.api.query['timestamp']?.['now']),
    };
    return this.features;
  }

  private sub(item: string) {
    const entry = this.api.query['subtensorModule']?.[item];
    if (!entry) throw new Error(`this runtime (spec ${this.api.runtimeVersion.specVersion.toNumber()}) has no SubtensorModule.${item}`);
    return entry;
  }

  async blockNumber(): Promise<number> {
    const header = await this.api.rpc.chain.getHeader();
    const number = header.number.toNumber();
    this.connection.noteBlock(number);
    return number;
  }

  async subscribeBlocks(listener: (block: ChainBlock) => void): Promise<() => void> {
    const unsubscribe = await this.api.rpc.chain.subscribeNewHeads((header) => {
      const number = header.number.toNumber();
      this.connection.noteBlock(number);
      // The announced block's own time (read at its hash), not the head's by
      // the time the query lands: window deadlines are computed from it.
      void this.blockTimestamp(number)
        .catch(() => this.timestamp())
        .then(
          (timestamp) => listener({ number, timestamp }),
          () => listener({ number, timestamp: Date.now() }),
        );
    });
    return unsubscribe;
  }

  private async timestamp(): Promise<number> {
    if (!this.runtimeFeatures().hasTimestamp) return Date.now();
    return toNumber(await this.api.query['timestamp']!['now']!());
  }

  /**
   * Timestamp.Now as block `block` left it: the time its block author put in
   * (milliseconds). Read at the block's own hash, so it is that block's time
   * and not the head's; a pruned node that no longer keeps the block's state
   * rejects, as does a block not made yet.
   */
  async blockTimestamp(block: number): Promise<number> {
    if (!Number.isSafeInteger(block) || block < 0) throw new Error(`no block ${block}: block numbers are whole and not negative`);
    if (!this.runtimeFeatures().hasTimestamp) throw new Error(`this runtime (spec ${this.api.runtimeVersion.specVersion.toNumber()}) has no Timestamp.Now`);
    const hash = await this.api.rpc.chain.getBlockHash(block);
    if (hash.isEmpty) throw new Error(`block ${block} is not on ${this.name} yet`);
    const atBlock = await this.api.at(hash);
    const now = toNumber(await atBlock.query['timestamp']!['now']!());
    // Zero is the storage default: the node answered without the block's state.
    if (now <= 0) throw new Error(`${this.name} gave no timestamp for block ${block}`);
    return now;
  }

  async subnetExists(netuid: number): Promise<boolean> {
    return (await this.sub('networksAdded')(netuid)).toString() === 'true';
  }

  async immunityPeriod(netuid: number): Promise<number> {
    return toNumber(await this.sub('immunityPeriod')(netuid));
  }

  async maxAllowedUids(netuid: number): Promise<number> {
    return toNumber(await this.sub('maxAllowedUids')(netuid));
  }

  async subnetOwnerHotkey(netuid: number): Promise<string | null> {
    // Older runtimes have no such storage; an unset one reads as the all-zero account.
    if (!this.api.query['subtensorModule']?.['subnetOwnerHotkey']) return null;
    const value = (await this.sub('subnetOwnerHotkey')(netuid)) as Codec;
    return value.toU8a().every((byte) => byte === 0) ? null : value.toString();
  }

  async tempo(netuid: number): Promise<number> {
    return toNumber(await this.sub('tempo')(netuid));
  }

  async balanceOf(address: string): Promise<bigint> {
    const account = (await this.api.query['system']!['account']!(address)) as unknown as { data: { free: Codec } };
    return toBigInt(account.data.free);
  }

  async burn(netuid: number): Promise<bigint> {
    return toBigInt(await this.sub('burn')(netuid));
  }

  async uidOf(netuid: number, hotkey: string): Promise<number | null> {
    const uid = (await this.sub('uids')(netuid, hotkey)) as unknown as { isSome: boolean; unwrap(): Codec };
    return uid.isSome ? toNumber(uid.unwrap()) : null;
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const block = await this.blockNumber();
    const features = this.runtimeFeatures();
    const keyEntries = await this.sub('keys').entries(netuid);
    const byUid = new Map<number, string>();
    for (const [key, value] of keyEntries) {
      const uid = toNumber(key.args[1]);
      byUid.set(uid, value.toString());
    }
    const uids = [...byUid.keys()].sort((a, b) => a - b);
    const hotkeys = uids.map((uid) => byUid.get(uid) as string);

    const [incentive = [], consensus = [], dividends = [], emission = [], permits = [], lastUpdate = []] = await Promise.all(
      ['incentive', 'consensus', 'dividends', 'emission', 'validatorPermit', 'lastUpdate'].map(async (item) =>
        item in (this.api.query['subtensorModule'] ?? {}) ? vec(await this.sub(item)(netuid)) : [],
      ),
    );
    const owners = hotkeys.length > 0 ? await this.sub('owner').multi(hotkeys) : [];
    const registeredAt = uids.length > 0 && 'blockAtRegistration' in (this.api.query['subtensorModule'] ?? {})
      ? await this.sub('blockAtRegistration').multi(uids.map((uid) => [netuid, uid]))
      : [];
    let stakes: Codec[] = [];
    if (hotkeys.length > 0 && features.stakeSource === 'TotalHotkeyAlpha') stakes = await this.sub('totalHotkeyAlpha').multi(hotkeys.map((h) => [h, netuid]));
    else if (hotkeys.length > 0 && features.stakeSource === 'TotalHotkeyStake') stakes = await this.sub('totalHotkeyStake').multi(hotkeys);

    const neurons: Neuron[] = uids.map((uid, i) => {
      const owner = owners[i]?.toString() ?? '';
      const registered = registeredAt[i];
      return {
        uid,
        hotkey: hotkeys[i] as string,
        coldkey: owner && !/^5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM$/.test(owner) ? owner : null,
        stake: toBigInt(stakes[i]),
        incentive: toNumber(incentive[uid]) / U16_MAX,
        consensus: toNumber(consensus[uid]) / U16_MAX,
        dividends: toNumber(dividends[uid]) / U16_MAX,
        emission: toBigInt(emission[uid]),
        validatorPermit: permits[uid]?.toString() === 'true',
        lastUpdate: toNumber(lastUpdate[uid]),
        registeredAt: registered === undefined ? null : toNumber(registered),
      };
    });
    return { netuid, block, neurons };
  }

  async commitments(netuid: number): Promise<Map<string, ChainCommitment>> {
    const out = new Map<string, ChainCommitment>();
    if (!this.runtimeFeatures().hasCommitments) return out;
    const entries = await this.api.query['commitments']!['commitmentOf']!.entries(netuid);
    for (const [key, value] of entries) {
      const hotkey = key.args[1]?.toString() ?? '';
      const option = value as unknown as { isSome?: boolean; unwrap?: () => Codec };
      const registration = (option.isSome === undefined ? value : option.isSome ? option.unwrap?.() : undefined) as
        | (Codec & { block: Codec; info: { fields: Codec[] } })
        | undefined;
      if (!registration) continue;
      const fields = rawFields(registration.info.fields);
      out.set(hotkey, { hotkey, block: toNumber(registration.block), data: fields.map((f) => u8aToString(f)).join(''), fields });
    }
    return out;
  }

  // ---- writes -------------------------------------------------------------

  private buildWrite(write: ChainWrite): SubmittableExtrinsic<'promise'> {
    if (write.action === 'register') return this.api.tx['subtensorModule']!['burnedRegister']!(write.netuid, write.hotkey);
    const fields = typeof write.data === 'string' ? [new TextEncoder().encode(write.data)] : write.data;
    const maxFields = toNumber(this.api.consts['commitments']?.['maxFields']) || 3;
    if (fields.length > maxFields) throw new Error(`a commitment holds at most ${maxFields} fields, not ${fields.length}`);
    for (const field of fields) if (field.length > 128) throw new Error(`a commitment field holds at most 128 bytes, not ${field.length}`);
    return this.api.tx['commitments']!['setCommitment']!(write.netuid, { fields: fields.map((f) => ({ [`Raw${f.length}`]: u8aToHex(f) })) });
  }

  async estimate(write: ChainWrite, signerAddress: string): Promise<ChainEstimate> {
    const tx = this.buildWrite(write);
    const info = await tx.paymentInfo(signerAddress);
    return { fee: toBigInt(info.partialFee), burn: write.action === 'register' ? await this.burn(write.netuid) : null };
  }

  async register(netuid: number, hotkey: string, signer: ChainSigner): Promise<number> {
    const existing = await this.uidOf(netuid, hotkey);
    if (existing !== null) return existing;
    await this.submit(this.buildWrite({ action: 'register', netuid, hotkey }), signer);
    const uid = await this.uidOf(netuid, hotkey);
    if (uid === null) throw new Error(`the registration of ${hotkey} on subnet ${netuid} was included but did not take effect (burn too high for the balance, or the subnet is full this interval)`);
    return uid;
  }

  /** Publishes a commitment: one Raw field of text, or up to the runtime's MaxFields (3) raw fields of up to 128 bytes. */
  async commit(netuid: number, data: string | readonly Uint8Array[], signer: ChainSigner): Promise<void> {
    await this.submit(this.buildWrite({ action: 'commit', netuid, data }), signer);
  }

  /** Sends TAO from the signer's account (balances.transfer_keep_alive: the sender keeps its existential deposit). */
  async transfer(to: string, amount: bigint, signer: ChainSigner): Promise<void> {
    if (amount <= 0n) throw new Error('a transfer needs a positive amount');
    await this.submit(this.api.tx['balances']!['transferKeepAlive']!(to, amount), signer);
  }

  /** Stakes the signer's (coldkey's) TAO on a hotkey on a subnet (subtensorModule.add_stake). */
  async addStake(hotkey: string, netuid: number, amount: bigint, signer: ChainSigner): Promise<void> {
    if (amount <= 0n) throw new Error('staking needs a positive amount');
    await this.submit(this.api.tx['subtensorModule']!['addStake']!(hotkey, netuid, amount), signer);
  }

  /** Whether the subnet wants weights through commit-reveal (CommitRevealWeightsEnabled; the runtime's default is on). */
  async commitRevealEnabled(netuid: number): Promise<boolean> {
    return (await this.sub('commitRevealWeightsEnabled')(netuid)).toString() === 'true';
  }

  /** The lowest version_key set_weights accepts on the subnet (WeightsVersionKey; 0 accepts any). */
  async weightsVersionKey(netuid: number): Promise<bigint> {
    return toBigInt(await this.sub('weightsVersionKey')(netuid));
  }

  async setWeights(netuid: number, weights: ReadonlyMap<number, number>, signer: ChainSigner): Promise<void> {
    const entries = [...weights.entries()].filter(([, w]) => w > 0);
    const max = Math.max(0, ...entries.map(([, w]) => w));
    if (max === 0) throw new Error('set_weights needs at least one positive weight');
    if ('commitRevealWeightsEnabled' in (this.api.query['subtensorModule'] ?? {}) && (await this.commitRevealEnabled(netuid))) {
      throw new Error(`subnet ${netuid} on ${this.name} has commit-reveal weights enabled (hyperparameter CommitRevealWeightsEnabled); this client sets weights directly and cannot commit-reveal them`);
    }
    const uids = entries.map(([uid]) => uid);
    const values = entries.map(([, w]) => Math.round((w / max) * U16_MAX));
    const versionKey = await this.weightsVersionKey(netuid).catch(() => 0n);
    await this.submit(this.api.tx['subtensorModule']!['setWeights']!(netuid, uids, values, versionKey), signer);
  }

  /** Signs, submits and waits for the block; a call that failed there rejects with the pallet's error (see submitExtrinsic). */
  private submit(tx: SubmittableExtrinsic<'promise'>, signer: ChainSigner): Promise<string> {
    return submitExtrinsic(this.api, tx, signer, { network: this.name, timeoutMs: this.options.inclusionTimeoutMs ?? 120_000 });
  }
}

/** The bytes of each Raw field of a commitment, in order (hash-kind fields are not raw data and are left out). */
export function rawFields(fields: Codec[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const field of fields) {
    const json = field.toJSON() as Record<string, unknown> | string | null;
    if (json && typeof json === 'object') {
      for (const [kind, value] of Object.entries(json)) {
        if (kind.toLowerCase().startsWith('raw') && typeof value === 'string') out.push(isHex(value) ? hexToU8a(value) : new TextEncoder().encode(value));
      }
    }
  }
  return out;
}
