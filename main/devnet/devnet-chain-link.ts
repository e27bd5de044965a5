import type { OpenedChain } from '../chain/chain-service';
import type { RoundLedger } from '../ledger/round-ledger';
import type { PeerTraffic } from '../network/peer-traffic';
import type { DevnetChain } from './devnet-chain';

/** What the joined devnet shares with the chain and network views. */
export interface DevnetView {
  chain: DevnetChain;
  /** This machine's devnet hotkey. */
  hotkey: string;
  /** Bytes and outcomes per peer, from this machine's gathers. */
  traffic?: PeerTraffic;
  /** The devnet validator's rating of a uid (OpenSkill ordinal), null before it scored it. */
  ratingOf?: (uid: number) => number | null;
  ledger?: RoundLedger;
}

/**
 * Where the chain module finds the devnet's chain. The devnet chain lives
 * inside the round runtime, which starts on Join; until then (and after the
 * runtime closes) there is none. `hotkey` is this machine's devnet identity,
 * whose rank and rewards the Dashboard shows.
 */
export class DevnetChainLink {
  private current: DevnetView | null = null;
  private readonly listeners = new Set<() => void>();

  attach(view: DevnetView): void {
    this.current = view;
    this.notify();
  }

  detach(): void {
    if (!this.current) return;
    this.current = null;
    this.notify();
  }

  get chain(): DevnetChain | null {
    return this.current?.chain ?? null;
  }

  get hotkey(): string | null {
    return this.current?.hotkey ?? null;
  }

  get view(): DevnetView | null {
    return this.current;
  }

  /**
   * The chain for the chain module to read, or null before Join. Read-only
   * (the devnet's writes are the runtime's), and closing it only lets go:
   * the runtime owns the chain and its peers keep using it.
   */
  borrow(): OpenedChain | null {
    const chain = this.chain;
    if (!chain) return null;
    return {
      name: chain.name,
      blockNumber: () => chain.blockNumber(),
      subscribeBlocks: (listener) => chain.subscribeBlocks(listener),
      metagraph: (netuid) => chain.metagraph(netuid),
      uidOf: (netuid, hotkey) => chain.uidOf(netuid, hotkey),
      commitments: (netuid) => chain.commitments(netuid),
      health: () => chain.health(),
      tempo: (netuid) => chain.tempo(netuid),
      tempoIndex: (block, netuid, tempo) => chain.tempoIndex(block, netuid, tempo),
      blockTimestamp: (block) => chain.blockTimestamp(block),
      rewardsOf: (hotkey) => chain.rewardsOf(hotkey),
      close: async () => undefined,
    };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
