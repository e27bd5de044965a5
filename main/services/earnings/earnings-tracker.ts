import { z } from 'zod';
import type { ChainPort } from '../../ports/chain-port';
import type { RoundLedger } from './round-ledger';
import type { Logger } from '../../core/logging/logger';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import { attributeEpoch, type EpochPayout } from './earnings';

const Payouts = z.array(z.object({ epoch: z.number().int(), block: z.number().int(), at: z.number(), emission: z.string().regex(/^\d+$/), incentive: z.number() }));

export interface EarningsTrackerOptions {
  chain: ChainPort;
  netuid: number;
  uid: number;
  ledger: RoundLedger;
  /** Blocks per epoch (tempo). */
  tempo: number;
  /** Where the epochs' payouts are kept (JSON, written atomically). */
  file: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Reads this peer's emission from the chain at every epoch and writes each
 * finished round's share into the round ledger (`rewarded` lines with reward,
 * weight and, for a zero, the reason). The epochs' payouts are kept too, so
 * the ledger can be reconciled against what the chain paid.
 */
export class EarningsTracker {
  private lastEpoch: number | undefined;
  private payoutsCache: EpochPayout[] = [];
  private work: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  private constructor(private readonly options: EarningsTrackerOptions) {
    this.log = options.logger.child({ source: 'earnings' });
  }

  static async open(options: EarningsTrackerOptions): Promise<EarningsTracker> {
    const tracker = new EarningsTracker(options);
    const payouts = await EarningsTracker.readPayouts(options.file);
    if (payouts === null) tracker.log.warn({ file: options.file }, 'payouts file unreadable; starting a new one (the ledger keeps its rewards)');
    tracker.payoutsCache = payouts ?? [];
    tracker.lastEpoch = tracker.payoutsCache.at(-1)?.epoch;
    return tracker;
  }

  /** The payouts kept so far: [] when there is no file yet, null when it is damaged. */
  static async readPayouts(file: string): Promise<EpochPayout[] | null> {
    const text = await readFileIfExists(file);
    if (!text) return [];
    try {
      const parsed = Payouts.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  get payouts(): readonly EpochPayout[] {
    return this.payoutsCache;
  }

  /** Feed every block; settles an epoch when one has passed. */
  onBlock(block: number): Promise<void> {
    const epoch = Math.floor(block / this.options.tempo);
    if (this.lastEpoch === undefined) {
      // Tracking starts at the first boundary seen: the epoch in progress paid for rounds before it.
      this.lastEpoch = epoch;
      return this.work;
    }
    if (epoch <= this.lastEpoch) return this.work;
    this.lastEpoch = epoch;
    this.work = this.work.then(() => this.settle(epoch, block)).catch((error: unknown) => this.log.warn({ err: error, epoch }, 'could not settle the epoch'));
    return this.work;
  }

  private async settle(epoch: number, block: number): Promise<void> {
    const { chain, netuid, uid, ledger } = this.options;
    const graph = await chain.metagraph(netuid);
    const me = graph.neurons.find((n) => n.uid === uid);
    const payout: EpochPayout = { epoch, block, at: (this.options.now ?? Date.now)(), emission: (me?.emission ?? 0n).toString(), incentive: me?.incentive ?? 0 };
    // Rounds that are over (applied or missed) and not yet paid.
    const due = (await ledger.summaries()).filter((s) => !s.phases.includes('rewarded') && (s.phases.includes('applied') || s.phases.includes('missed')));
    for (const share of attributeEpoch(payout, due)) {
      await ledger.append({ window: share.window, at: payout.at, phase: 'rewarded', reward: share.reward, weight: share.weight, ...(share.reason ? { reason: share.reason } : {}) });
    }
    this.payoutsCache = [...this.payoutsCache, payout];
    await writeFileAtomically(this.options.file, `${JSON.stringify(this.payoutsCache)}\n`, { mode: 0o600 });
    this.log.info({ epoch, emission: payout.emission, rounds: due.length }, 'epoch settled');
  }
}
