import type { Logger } from '../../core/logging/logger';
import type { TrainerPort } from '../../ports/trainer-port';
import type { RoundLedger } from '../earnings/round-ledger';
import type { CatchUpState } from './catch-up-state';
import type { CheckpointSource, RestoredCheckpoint } from './checkpoint-source';
import { errorText } from './error-text';
import type { Divergence, ModelAudit } from './model-audit';
import type { RoundStatus } from './round-status';
import type { ModelBasis } from './sync-report';

/**
 * What recovery needs of the engine's window loop: where the model stands,
 * and the loop's own ways to apply, drop, replay and skip windows (their
 * order is the loop's, so recovery never touches its queues itself).
 */
export interface RecoveryHost {
  /** The last window whose aggregate is applied or on its way (gathering); null before any. */
  covered(): number | null;
  /** The model now holds (or is on its way to) `window`'s aggregate. */
  cover(window: number): void;
  /** Applies, in window order, the aggregates in flight up to `upTo`. */
  applyInFlight(upTo: number): Promise<void>;
  /** Forgets the windows in flight and queued for another try. */
  dropInFlight(): Promise<void>;
  /** Gathers a window this peer did not train (its own stored update counts) and applies its aggregate. */
  replayWindow(window: number): Promise<void>;
  /** A window this peer cannot train in: noted, said on the Dashboard, and tried again next window. */
  skipWindow(window: number, reason: string): Promise<void>;
}

export interface ModelRecoveryOptions {
  trainer: TrainerPort;
  /** This peer's uid: its sync report's model proof is keyed by it. */
  uid: number;
  /** The run's published checkpoints, when it has a publisher. */
  checkpoints?: CheckpointSource;
  catchUpState?: CatchUpState;
  /** Windows of aggregates replayed to catch up before giving up and waiting for a checkpoint. */
  maxCatchUpWindows: number;
  basis: ModelBasis;
  audit: ModelAudit | null;
  ledger: RoundLedger;
  status: RoundStatus;
  log: Logger;
  now: () => number;
}

/**
 * Brings this peer's weights to the run's global model before a window
 * trains: after a restart (the windows since its checkpoint are replayed), as
 * a newcomer or when too far behind to replay (the run's checkpoint), and
 * when the audit finds its model apart from the run's (the run's checkpoint
 * again). An update trained from other weights is worth nothing to the run.
 */
export class ModelRecovery {
  /** Set when the audit found this peer's model apart from the run's, until the run's checkpoint repairs it. */
  private diverged: Divergence | null = null;

  constructor(
    private readonly options: ModelRecoveryOptions,
    private readonly host: RecoveryHost,
  ) {}

  /**
   * A restarted peer starts from the window its trainer's checkpoint holds:
   * the windows since are replayed (catch-up) before it trains again, so it
   * rejoins the global model instead of training from its own stale one.
   */
  async resume(): Promise<void> {
    const { trainer, catchUpState, basis, log } = this.options;
    let applied: number | null = null;
    try {
      applied = (await trainer.appliedWindow?.()) ?? null;
    } catch (error) {
      log.warn({ err: error }, 'could not ask the trainer which window its weights hold');
    }
    applied ??= catchUpState?.lastApplied ?? null;
    if (applied !== null && this.host.covered() === null) {
      this.host.cover(applied);
      basis.window = applied;
      log.info({ window: applied }, 'resuming: the model holds this window\'s aggregate; later windows are replayed before training');
    }
  }

  /**
   * Brings the weights to the global model before `window` trains: a newcomer,
   * or a peer further behind than it can replay, loads the run's newest
   * checkpoint; then the windows since are replayed. False when the model
   * cannot be reached yet (the window is not trained: an update from other
   * weights would be worth nothing to the run).
   */
  async reachModel(window: number): Promise<boolean> {
    await this.noticeTrainerRestart();
    if (!(await this.repairDivergence(window))) return false;
    const { maxCatchUpWindows: limit, checkpoints: source, status, log } = this.options;
    const host = this.host;
    const tooFar = (covered: number | null) => covered !== null && covered < window - 1 - limit;
    if (source && (host.covered() === null || tooFar(host.covered()))) {
      try {
        const restored = await source.restoreNewer(host.covered(), (note) => status.update({ phase: 'syncing', blocker: note }));
        if (restored) {
          await host.applyInFlight(Number.POSITIVE_INFINITY);
          await this.holdCheckpoint(restored, "loaded from the run's checkpoint");
          log.info({ window: restored.window, digest: restored.modelDigest }, 'loaded the run\u2019s checkpoint; the windows since are replayed');
        }
      } catch (error) {
        await host.skipWindow(window, `the run's checkpoint could not be loaded: ${errorText(error)}`);
        return false;
      }
      if (tooFar(host.covered())) {
        const reason = `Too far behind the run to replay (the updates kept reach back ${limit} windows): waiting for its next checkpoint (one every ${source.everyWindows} windows).`;
        await host.skipWindow(window, reason);
        return false;
      }
    }
    const behind = host.covered();
    if (behind !== null && behind < window - 1) {
      await host.applyInFlight(Number.POSITIVE_INFINITY);
      await this.catchUp((host.covered() ?? behind) + 1, window - 1);
    }
    return true;
  }

  /**
   * A trainer process that died and was started again by its supervisor
   * holds its last checkpoint, which may be some windows old (at real sizes
   * the trainer checkpoints every few outer steps: CheckpointSpacing). The
   * engine then goes back to that window: what was gathered on top of the
   * lost weights is dropped, and the windows since are replayed, as after a
   * restart of the app.
   */
  private async noticeTrainerRestart(): Promise<void> {
    const { trainer, basis, log } = this.options;
    if (!trainer.appliedWindow || basis.window === null) return;
    const held = await trainer.appliedWindow().catch(() => undefined);
    if (held === undefined || held === null || held >= basis.window) return;
    log.warn({ held, applied: basis.window }, 'the trainer restarted from an older checkpoint; the windows since are replayed');
    await this.host.dropInFlight();
    this.host.cover(held);
    basis.forget(held);
  }

  /**
   * A peer whose weights came out different from the run's after some window
   * (the audit compares its digest with the publisher's record) goes back to
   * the run's model: the publisher's first checkpoint of that window or later,
   * then the windows since replayed as after a restart. Its updates from the
   * other weights are worth nothing, so until that checkpoint is out it does
   * not train, and says why. False: this window is not trained.
   */
  private async repairDivergence(window: number): Promise<boolean> {
    const { checkpoints: source, audit, status, log } = this.options;
    if (!source || !audit) return true;
    this.diverged ??= await audit.firstDivergence(window).catch((error: unknown) => {
      log.warn({ window, err: error }, 'could not read the run\u2019s record of its model');
      return null;
    });
    const apart = this.diverged;
    if (!apart) return true;
    // What was gathered on top of the other weights is not applied.
    await this.host.dropInFlight();
    let restored: RestoredCheckpoint | null;
    try {
      restored = await source.restoreNewer(apart.window - 1, (note) => status.update({ phase: 'syncing', blocker: note }));
    } catch (error) {
      await this.host.skipWindow(window, `This peer's model differs from the run's since window ${apart.window}, and the run's checkpoint could not be loaded: ${errorText(error)}`);
      return false;
    }
    if (!restored) {
      await this.host.skipWindow(window, `This peer's model differs from the run's since window ${apart.window}: waiting for the run's next checkpoint (one every ${source.everyWindows} windows) to take the run's model again.`);
      return false;
    }
    this.diverged = null;
    await this.holdCheckpoint(restored, `loaded from the run's checkpoint: this peer's model had differed from the run's since window ${apart.window} (${apart.ours}, the run's ${apart.run})`);
    log.warn({ since: apart.window, ours: apart.ours, run: apart.run, checkpoint: restored.window }, 'this peer\u2019s model had come apart from the run\u2019s; it holds the run\u2019s checkpoint again');
    return true;
  }

  /** This peer now holds the run's checkpoint of `restored.window`: the windows after it are replayed, the audit starts afresh. */
  private async holdCheckpoint(restored: RestoredCheckpoint, reason: string): Promise<void> {
    const { basis, audit, catchUpState, ledger, now } = this.options;
    this.host.cover(restored.window);
    basis.applied(restored.window, restored.modelDigest);
    await basis.prove(this.options.uid, this.options.trainer).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not prove the model for the sync report'));
    audit?.reset();
    await catchUpState?.noteApplied(restored.window);
    await ledger.append({ window: restored.window, at: now(), phase: 'applied', reason, ...(restored.modelDigest ? { modelDigest: restored.modelDigest } : {}) });
  }

  /** A late joiner or a peer back from downtime replays the aggregates it missed. */
  private async catchUp(from: number, to: number): Promise<void> {
    const { maxCatchUpWindows: limit, ledger, status, log, now } = this.options;
    const first = Math.max(from, to - limit + 1);
    if (first > from) {
      // The model cannot be rebuilt from the retained updates alone: it needs a checkpoint of the run (none is published here).
      log.error({ from, to, limit }, 'too far behind to catch up from the retained updates; training from this peer\'s own model');
    }
    status.update({ phase: 'syncing', blocker: `Catching up: window ${first} of ${to}.` });
    for (let w = first; w <= to; w++) {
      status.update({ blocker: `Catching up: window ${w} of ${to}.` });
      await ledger.append({ window: w, at: now(), phase: 'missed', reason: 'not trained: catching up after downtime' });
      await this.host.replayWindow(w);
      this.host.cover(w);
    }
    status.update({ blocker: null });
  }
}
