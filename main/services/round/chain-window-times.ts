import type { ChainBlock, ChainPort } from '../../ports/chain-port';
import type { Logger } from '../../core/logging/logger';
import type { RunManifest } from '../../ports/run-manifest';
import { WindowTimes } from './inclusion';

/** The longest a deadline waits for the chain to tell its window's start time (a block's time, at most this). */
const START_LOOKUP_WAIT_MS = 2000;

/**
 * Window times as every node reads them off the chain: the WindowTimes of the
 * blocks this node saw, and, for a window whose start block it did not see
 * go by (it joined mid-window, missed a block, or is catching up), that
 * block's time asked of the chain. Miners and validators both take upload
 * deadlines from here, so they judge the same updates on time or late.
 */
export class ChainWindowTimes {
  private readonly times: WindowTimes;
  /** Per window, the chain read of its start block's time, in flight or done, so each window asks once. */
  private readonly startLookups = new Map<number, Promise<void>>();
  private warnedNoBlockTimes = false;

  constructor(
    private readonly chain: Pick<ChainPort, 'name' | 'blockTimestamp'>,
    private readonly timing: RunManifest['windows'],
    private readonly log: Logger,
  ) {
    this.times = new WindowTimes(timing);
  }

  observe(block: ChainBlock): void {
    this.times.observe(block);
  }

  /** Whether window `window`'s times come from its own start block, exact on every node. */
  knowsStart(window: number): boolean {
    return this.times.knowsStart(window);
  }

  endsAt(window: number, fallback: number): number {
    return this.times.endsAt(window, fallback);
  }

  /** Window `window`'s upload deadline from what is known now (no chain read); `fallback` before any block. */
  knownUploadDeadline(window: number, fallback: number): number {
    return this.times.uploadDeadline(window, fallback);
  }

  /**
   * Epoch ms by which window `w`'s updates had to be up: the canonical
   * deadline of the inclusion rule, from the timestamp of the window's start
   * block (extrapolated from another block only when the chain cannot say,
   * and `estimate()` only before any block has been seen).
   */
  async uploadDeadline(w: number, estimate: () => number): Promise<number> {
    await this.settleStart(w);
    return this.times.uploadDeadline(w, estimate());
  }

  /**
   * Waits, a bounded while, for window `w`'s start block's time. A chain slow
   * to answer must not make an upload late or stall a validation: past the
   * wait, the extrapolation serves, and the log says so.
   */
  async settleStart(w: number): Promise<void> {
    const waitMs = Math.min(START_LOOKUP_WAIT_MS, this.timing.blockSeconds * 1000);
    if (!(await settlesWithin(this.learnStart(w), waitMs))) {
      this.log.warn({ window: w, waitedSeconds: waitMs / 1000 }, "the chain did not tell the time of the window's start block in time; its upload deadline is estimated");
    }
  }

  /**
   * Makes window `w`'s times come from its own start block. A node that did
   * not see that block go by asks the chain for the block's time:
   * extrapolating from a later block at the nominal block time is off
   * wherever blocks come irregularly (subtensor), and a deadline that differs
   * between nodes splits their aggregates and their verdicts. Without an
   * answer the extrapolation stands, and the log says so. Never rejects.
   */
  learnStart(w: number): Promise<void> {
    if (this.times.knowsStart(w)) return Promise.resolve();
    const chain = this.chain;
    if (!chain.blockTimestamp) {
      if (!this.warnedNoBlockTimes) {
        this.warnedNoBlockTimes = true;
        this.log.warn({ chain: chain.name, window: w }, "the chain cannot tell a past block's time; upload deadlines of windows whose start this node missed are estimated");
      }
      return Promise.resolve();
    }
    const known = this.startLookups.get(w);
    if (known) return known;
    const block = this.times.startBlock(w);
    const read = chain.blockTimestamp.bind(chain);
    const lookup = Promise.resolve(block).then(read).then(
      (timestamp) => this.times.learnStart(w, timestamp),
      (error: unknown) => {
        // Asked again by the next caller (the upload, a replay, the next block): the node may answer then.
        this.startLookups.delete(w);
        this.log.warn({ window: w, block, err: error }, "could not read the time of the window's start block; its upload deadline is estimated");
      },
    );
    this.startLookups.set(w, lookup);
    for (const old of this.startLookups.keys()) if (old < w - 64) this.startLookups.delete(old);
    return lookup;
  }
}

/** Whether `promise` settles within `ms` (it runs on either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
