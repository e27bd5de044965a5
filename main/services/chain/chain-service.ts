import path from 'node:path';
import type { Logger } from '../../core/logging/logger';
import { immunityOf } from './immunity';
import { rankByIncentive, type ChainBlock, type Metagraph } from '../../ports/chain-port';
import { resolveTarget } from '../../adapters/subtensor/networks';
import { RewardHistory, tempoIndex } from './rewards';
import { SubtensorChain } from '../../adapters/subtensor/subtensor-chain';
import { blankStatus, type ChainStatusData, type RewardView } from './chain-status';
import { ChainActionError, ChainWrites, type PreparedWrite, type WalletAccess } from './chain-writes';
import { openSubtensor, type OpenedChain } from './open-subtensor';

export interface ChainServiceOptions {
  wallet?: WalletAccess;
  /** Where reward histories live (atomic JSON). */
  dataDir: string;
  logger?: Logger;
  /** Opens a chain for a target; the default opens subtensor for anything but devnet (whose ledger plugs in here). */
  open?: (target: string) => Promise<OpenedChain | null>;
  /** The run's subnet on a target (from its manifest); null when no run is named there. */
  netuidFor?: (target: string) => number | null;
  /**
   * Whose rank and rewards to follow on a target, when it is not the active
   * wallet's hotkey (the devnet: this machine's throwaway devnet identity).
   * Null or absent: the wallet's first hotkey.
   */
  selfHotkey?: (target: string) => string | null;
  /** Re-read the metagraph at most every this many blocks (and at every new tempo). */
  refreshEveryBlocks?: number;
  now?: () => number;
  /** How long a prepared write waits for confirmation. */
  confirmTtlMs?: number;
}

/**
 * Keeps one chain connection for the configured target: follows blocks,
 * re-reads the metagraph now and then, tracks this hotkey's uid, rank and
 * rewards, and runs the two writes behind a prepare → confirm step (ChainWrites).
 */
export class ChainService {
  private chain: OpenedChain | null = null;
  private target = '';
  private generation = 0;
  private unsubscribers: Array<() => void> = [];
  private metagraphCache: Metagraph | null = null;
  private lastRefreshBlock = -Infinity;
  private lastTempoIndex: number | null = null;
  private tempoCache: number | null = null;
  private refreshing: Promise<void> | null = null;
  private history: RewardHistory | null = null;
  private readonly listeners = new Set<(status: ChainStatusData) => void>();
  private readonly now: () => number;
  private data: ChainStatusData;
  private openFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly writes: ChainWrites;

  constructor(private readonly options: ChainServiceOptions) {
    this.now = options.now ?? Date.now;
    this.data = blankStatus('', { state: 'idle', reason: 'not started' });
    this.writes = new ChainWrites({
      wallet: options.wallet,
      requireChain: () => this.requireChain(),
      requireSubnet: () => this.requireSubnet(),
      refresh: (force) => this.refresh(force),
      ownUid: () => this.data.me?.uid ?? null,
      now: this.now,
      confirmTtlMs: options.confirmTtlMs ?? 5 * 60_000,
    });
    options.wallet?.onChange(() => void this.refresh(true).catch(() => undefined));
  }

  onStatus(listener: (status: ChainStatusData) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ChainStatusData {
    return this.data;
  }

  private update(patch: Partial<ChainStatusData>): void {
    this.data = { ...this.data, ...patch };
    for (const listener of this.listeners) listener(this.data);
  }

  netuidFor(target: string): number | null {
    if (this.options.netuidFor) return this.options.netuidFor(target);
    try {
      const resolved = resolveTarget(target);
      return resolved.kind === 'subtensor' ? resolved.netuid : 3;
    } catch {
      return null;
    }
  }

  /** The followed subnet's ImmunityPeriod and MaxAllowedUids, once read (null: not yet, or another subnet since). */
  private subnetLimits: [number | null, number | null] | null = null;

  /** The subnet followed now; null when the target names no run (rank and rewards need one). */
  private subnet: number | null = null;

  private requireSubnet(): number {
    if (this.subnet === null) throw new ChainActionError(`no run named for ${this.target}: name it on the Network page (its subnet, or its manifest)`);
    return this.subnet;
  }

  /** Switches to a target (network name or URL). Never throws: failures land in the status. */
  async connect(target: string): Promise<void> {
    if (target === this.target && this.chain) return;
    await this.disconnect();
    const generation = ++this.generation;
    this.target = target;
    this.subnet = this.netuidFor(target);
    this.subnetLimits = null;
    const netuid = this.subnet ?? 0;
    let endpoint: string | null;
    try {
      const resolved = resolveTarget(target);
      endpoint = resolved.kind === 'subtensor' ? resolved.url : null;
    } catch (error) {
      this.data = blankStatus(target, { state: 'failed', reason: (error as Error).message }, null, netuid);
      this.update({});
      return;
    }
    this.data = blankStatus(target, endpoint ? { state: 'connecting' } : { state: 'idle', reason: 'connecting' }, endpoint, netuid);
    this.update({});
    let chain: OpenedChain | null;
    try {
      chain = await (this.options.open ?? openSubtensor)(target);
    } catch (error) {
      if (generation !== this.generation) return;
      const reason = (error as Error).message;
      this.options.logger?.warn({ target, reason }, 'chain connection failed');
      this.update({ health: { state: 'failed', reason }, lastError: reason });
      // The first connection failed: keep trying in the background, with backoff.
      this.openFailures += 1;
      const delay = Math.min(60_000, 2000 * 2 ** Math.min(5, this.openFailures - 1));
      this.retryTimer = setTimeout(() => {
        if (generation === this.generation) {
          this.target = '';
          void this.connect(target);
        }
      }, delay);
      this.retryTimer.unref?.();
      return;
    }
    if (generation !== this.generation) {
      await chain?.close();
      return;
    }
    this.openFailures = 0;
    if (!chain) {
      this.update({ health: { state: 'idle', reason: `the ${target} chain runs inside this app once it joins the run: rank and rewards appear after the first epochs` } });
      return;
    }
    this.chain = chain;
    this.update({ health: chain.health() });
    if (chain.onHealth) this.unsubscribers.push(chain.onHealth((health) => this.update({ health })));
    if (chain instanceof SubtensorChain) this.update({ specVersion: chain.runtimeFeatures().specVersion });
    try {
      const unsubscribe = await chain.subscribeBlocks((block) => this.onBlock(block));
      this.unsubscribers.push(unsubscribe);
    } catch (error) {
      this.update({ lastError: (error as Error).message });
    }
    await this.refresh(true).catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const unsubscribe of this.unsubscribers.splice(0)) {
      try {
        unsubscribe();
      } catch {
        // already gone with the socket
      }
    }
    const chain = this.chain;
    this.chain = null;
    this.metagraphCache = null;
    this.tempoCache = null;
    this.history = null;
    this.subnetLimits = null;
    this.firstBlock = null;
    this.lastRefreshBlock = -Infinity;
    this.lastTempoIndex = null;
    await chain?.close().catch(() => undefined);
  }

  private indexOf(block: number, tempo: number): number {
    return this.chain?.tempoIndex ? this.chain.tempoIndex(block, this.data.netuid, tempo) : tempoIndex(block, this.data.netuid, tempo);
  }

  /** The first block seen on this connection: the block time is measured from it. */
  private firstBlock: ChainBlock | null = null;

  private onBlock({ number: block, timestamp }: ChainBlock): void {
    this.firstBlock ??= { number: block, timestamp };
    const first = this.firstBlock;
    const blockSeconds = block > first.number && timestamp > first.timestamp ? (timestamp - first.timestamp) / 1000 / (block - first.number) : this.data.blockSeconds;
    this.update({ block, blockSeconds });
    const every = this.options.refreshEveryBlocks ?? 10;
    const tempo = this.tempoCache;
    const index = tempo ? this.indexOf(block, tempo) : null;
    const newTempo = index !== null && this.lastTempoIndex !== null && index !== this.lastTempoIndex;
    if (block - this.lastRefreshBlock >= every || newTempo) void this.refresh(false).catch(() => undefined);
  }

  /** Re-reads the metagraph, this hotkey's standing, rewards and the coldkey balance. */
  refresh(force: boolean): Promise<void> {
    if (this.refreshing) return force ? this.refreshing.then(() => this.refresh(false)) : this.refreshing;
    this.refreshing = this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const chain = this.chain;
    if (!chain) return;
    // The run may be named (or named anew) while connected: its subnet is followed from the next refresh.
    const named = this.netuidFor(this.target);
    if (named !== this.subnet) {
      this.subnet = named;
      this.history = null;
      this.subnetLimits = null;
      this.update({ netuid: named ?? 0, me: null });
    }
    const netuid = this.subnet;
    if (netuid === null) {
      const wallet = await this.options.wallet?.activeWallet().catch(() => null);
      const coldkeyBalance = wallet && chain.balanceOf ? (await chain.balanceOf(wallet.coldkeyAddress).catch(() => null))?.toString() ?? null : null;
      this.update({ coldkeyBalance, lastError: `no run named for ${this.target}: name it on the Network page (its subnet, or its manifest) to follow its subnet` });
      return;
    }
    try {
      const metagraph = await chain.metagraph(netuid);
      const tempo = chain.tempo ? await chain.tempo(netuid) : 360;
      // Hyperparameters that change only by the subnet owner's hand: read once per subnet and connection.
      this.subnetLimits ??= await Promise.all([chain.immunityPeriod?.(netuid).catch(() => null) ?? null, chain.maxAllowedUids?.(netuid).catch(() => null) ?? null]);
      const [immunityPeriod, maxUids] = this.subnetLimits;
      this.metagraphCache = metagraph;
      this.tempoCache = tempo;
      this.lastRefreshBlock = metagraph.block;
      this.lastTempoIndex = this.indexOf(metagraph.block, tempo);
      const wallet = await this.options.wallet?.activeWallet();
      const hotkey = this.options.selfHotkey?.(this.target) ?? wallet?.hotkeys[0]?.address ?? null;
      let me: ChainStatusData['me'] = null;
      if (hotkey) {
        if (!this.history || !this.history.file.includes(hotkey)) {
          this.history = await RewardHistory.load(path.join(this.options.dataDir, 'rewards'), { network: this.target, netuid, hotkey });
        }
        await this.history.observe(metagraph, tempo, (block, id, t) => (chain.tempoIndex ? chain.tempoIndex(block, id, t) : tempoIndex(block, id, t)));
        // Where the chain keeps the total itself (devnet), it also counts tempos this app did not see.
        const total = chain.rewardsOf ? await chain.rewardsOf(hotkey) : this.history.cumulative();
        const neuron = metagraph.neurons.find((n) => n.hotkey === hotkey) ?? null;
        me = {
          hotkey,
          registered: neuron !== null,
          uid: neuron?.uid ?? null,
          rank: neuron ? rankByIncentive(metagraph.neurons, neuron.uid) : null,
          incentive: neuron?.incentive ?? null,
          emissionPerTempo: neuron ? neuron.emission.toString() : null,
          stake: neuron ? neuron.stake.toString() : null,
          cumulativeRewards: total.toString(),
          recentRewards: this.history.entries.slice(-20).map((e) => ({ ...e })),
          immunity: neuron && immunityPeriod !== null ? immunityOf(metagraph.neurons, neuron.uid, metagraph.block, immunityPeriod, maxUids) : null,
        };
      }
      const coldkeyBalance = wallet && chain.balanceOf ? (await chain.balanceOf(wallet.coldkeyAddress)).toString() : null;
      this.update({ subnetSize: metagraph.neurons.length, immunityPeriodBlocks: immunityPeriod, metagraphBlock: metagraph.block, block: Math.max(this.data.block ?? 0, metagraph.block), me, coldkeyBalance, lastError: null });
    } catch (error) {
      const message = (error as Error).message;
      this.options.logger?.warn({ reason: message }, 'metagraph refresh failed');
      this.update({ lastError: message });
    }
  }

  async metagraph(netuid?: number): Promise<Metagraph> {
    const chain = this.requireChain();
    const subnet = netuid ?? this.requireSubnet();
    if (subnet === this.subnet) {
      await this.refresh(true);
      if (this.metagraphCache) return this.metagraphCache;
    }
    return chain.metagraph(subnet);
  }

  rewards(limit: number): { cumulative: string; entries: RewardView[] } {
    const history = this.history;
    if (!history) return { cumulative: '0', entries: [] };
    return { cumulative: this.data.me?.cumulativeRewards ?? history.cumulative().toString(), entries: history.entries.slice(-limit).map((e) => ({ ...e })) };
  }

  private requireChain(): OpenedChain {
    if (!this.chain) throw new ChainActionError(`not connected to a chain (${this.data.health.state === 'failed' ? this.data.health.reason : this.data.health.state})`);
    return this.chain;
  }

  /** Step 1 of a write: who signs, what it costs. Nothing is signed. */
  prepare(input: { action: 'register' } | { action: 'commit'; data: string }): Promise<PreparedWrite> {
    return this.writes.prepare(input);
  }

  cancel(token: string): boolean {
    return this.writes.cancel(token);
  }

  /** Step 2: the user confirmed. The coldkey is unlocked only inside this call, for registration. */
  confirm(token: string, coldkeyPassphrase: string | undefined): Promise<{ action: 'register' | 'commit'; uid: number | null }> {
    return this.writes.confirm(token, coldkeyPassphrase);
  }
}
