import type { ChainBlock, ChainCommitment, ChainHealth, ChainPort, Metagraph } from '../../main/ports/chain-port';

/** Whether the chain tells a past block's time: yes, not at all, with an error, or never answers. */
export type BlockTimes = 'told' | 'untold' | 'failing' | 'hanging';

/**
 * A chain whose blocks the test makes by hand, each at the time it chooses:
 * blocks that come late or early, as on subtensor, where the 12 s block time
 * is only what blocks aim for.
 */
export class HandMadeChain implements ChainPort {
  readonly name = 'hand-made';
  readonly lookups: number[] = [];
  blockTimestamp?: (block: number) => Promise<number>;
  private readonly times = new Map<number, number>();
  private readonly listeners = new Set<(block: ChainBlock) => void>();
  private head = -1;

  constructor(
    private readonly miner: { uid: number; hotkey: string },
    blockTimes: BlockTimes,
  ) {
    if (blockTimes === 'told') {
      this.blockTimestamp = async (block) => {
        this.lookups.push(block);
        const at = this.times.get(block);
        if (at === undefined) throw new Error(`block ${block} is not made yet`);
        return at;
      };
    } else if (blockTimes === 'failing') {
      this.blockTimestamp = async (block) => {
        this.lookups.push(block);
        throw new Error('State already discarded');
      };
    } else if (blockTimes === 'hanging') {
      this.blockTimestamp = (block) => {
        this.lookups.push(block);
        return new Promise<number>(() => undefined);
      };
    }
  }

  /** Makes block `number` at `timestamp`; `announce` false makes it without telling subscribers (a node that was not there). */
  make(number: number, timestamp: number, announce = true): void {
    this.times.set(number, timestamp);
    this.head = Math.max(this.head, number);
    if (announce) for (const listener of this.listeners) listener({ number, timestamp });
  }

  async blockNumber(): Promise<number> {
    return this.head;
  }

  async subscribeBlocks(listener: (block: ChainBlock) => void): Promise<() => void> {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const neuron = { ...this.miner, coldkey: null, stake: 0n, incentive: 0, consensus: 0, dividends: 0, emission: 0n, validatorPermit: false, lastUpdate: 0, registeredAt: 0 };
    return { netuid, block: this.head, neurons: [neuron] };
  }

  async uidOf(): Promise<number | null> {
    return this.miner.uid;
  }

  async commitments(): Promise<Map<string, ChainCommitment>> {
    return new Map();
  }

  health(): ChainHealth {
    return { state: 'connected', endpoint: this.name, bestBlock: this.head };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
