import type { RoundState } from '../../../contract/domains/round';
import type { RoundFitPrediction, ScheduleSettings, ScheduleState } from '../../../contract/domains/schedule';
import type { Logger } from '../../core/logging/logger';
import type { ScheduleProbes } from './probes';
import { evaluateWindows } from './weekly-windows';

/** What the scheduler drives: the round engine's join and leave. */
export interface RunControl {
  readonly current: RoundState;
  join(): Promise<unknown>;
  leave(when: 'now' | 'after-round', reason?: string): Promise<unknown>;
}

export interface SchedulerOptions {
  settings: ScheduleSettings;
  probes: ScheduleProbes;
  logger: Logger;
  onState?(state: ScheduleState): void;
  /** Seconds a finished window still needs for its upload (the prediction adds them). */
  uploadSeconds?: number;
  /** How often battery and programs are looked at (they cost a process scan). */
  probeEveryMs?: number;
  now?: () => number;
}

const TRAINING_PHASES = new Set(['syncing', 'training', 'uploading', 'gathering', 'applying']);

/**
 * Pauses and resumes the run by the user's schedule: weekly windows, battery,
 * programs that need the machine. It only pauses a run the user joined and
 * only resumes what it paused itself. With `finishRound`, a closing schedule
 * lets the round in progress finish (upload included) before pausing.
 */
export class Scheduler {
  private settings: ScheduleSettings;
  private run: RunControl | undefined;
  private onBattery: boolean | null = null;
  private blocking: string[] = [];
  private probedAt = -Infinity;
  private pausedBySchedule = false;
  private finishingRound = false;
  private current: ScheduleState;
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.settings = options.settings;
    this.now = options.now ?? Date.now;
    this.current = { enabled: this.settings.enabled, open: true, reason: null, nextChangeAt: null, pausedBySchedule: false, finishingRound: false, onBattery: null, blockingPrograms: [], prediction: null };
  }

  get state(): ScheduleState {
    return this.current;
  }

  attach(run: RunControl | undefined): void {
    this.run = run;
  }

  configure(settings: ScheduleSettings): Promise<void> {
    this.settings = settings;
    this.probedAt = -Infinity;
    return this.tick();
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** New round state: only the prediction depends on it. */
  observeRound(round: RoundState): void {
    const prediction = this.predict(round);
    if (JSON.stringify(prediction) !== JSON.stringify(this.current.prediction)) this.publish({ prediction });
  }

  /** Evaluates the schedule once; ticks never overlap. */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.evaluate()).catch((error: unknown) => this.options.logger.warn({ err: error }, 'schedule check failed'));
    return this.ticking;
  }

  private async evaluate(): Promise<void> {
    const s = this.settings;
    const now = this.now();
    if (s.enabled && now - this.probedAt >= (this.options.probeEveryMs ?? 30_000)) {
      this.probedAt = now;
      this.onBattery = s.pauseOnBattery ? await this.options.probes.onBattery().catch(() => null) : null;
      this.blocking = await this.options.probes.runningPrograms(s.pauseWhilePrograms).catch(() => []);
    }
    const windows = evaluateWindows(s.windows, now);
    let reason: string | null = null;
    if (s.enabled) {
      if (!windows.open) reason = s.windows.length === 0 ? 'The schedule has no time windows yet.' : 'Outside the scheduled hours.';
      else if (s.pauseOnBattery && this.onBattery === true) reason = 'On battery power.';
      else if (this.blocking.length > 0) reason = `${this.blocking.join(', ')} ${this.blocking.length === 1 ? 'is' : 'are'} running.`;
    }
    const open = reason === null;
    this.publish({ enabled: s.enabled, open, reason, nextChangeAt: s.enabled ? windows.nextChangeAt : null, onBattery: this.onBattery, blockingPrograms: this.blocking, prediction: this.run ? this.predict(this.run.current) : null });

    const run = this.run;
    if (!run) return;
    if (!open && run.current.joined && !this.finishingRound) {
      this.pausedBySchedule = true;
      const midRound = s.finishRound && TRAINING_PHASES.has(run.current.phase);
      const why = `Paused by the schedule: ${reason}`;
      this.options.logger.info({ reason, finishRound: midRound }, midRound ? 'schedule closed: finishing this round, then pausing' : 'schedule closed: pausing');
      if (midRound) {
        this.finishingRound = true;
        this.publish({ pausedBySchedule: true, finishingRound: true });
        // Not awaited: the round may take minutes; further ticks keep reporting meanwhile.
        void run.leave('after-round', why).finally(() => {
          this.finishingRound = false;
          this.publish({ finishingRound: false });
        });
      } else {
        await run.leave('now', why);
        this.publish({ pausedBySchedule: true });
      }
    } else if (open && this.pausedBySchedule && !this.finishingRound) {
      this.pausedBySchedule = false;
      this.options.logger.info('schedule open again: resuming');
      await run.join();
      this.publish({ pausedBySchedule: false });
    }
  }

  /** Can the round in progress finish before the schedule closes? */
  private predict(round: RoundState): RoundFitPrediction | null {
    if (!this.settings.enabled || round.windowEndsAt === null || !round.joined) return null;
    const roundEndsAt = round.windowEndsAt + (this.options.uploadSeconds ?? 0) * 1000;
    const windows = evaluateWindows(this.settings.windows, this.now());
    if (!windows.open) {
      const detail = this.settings.finishRound ? 'The schedule has closed: this round is being finished, then training pauses.' : 'The schedule has closed: training stops.';
      return { roundEndsAt, closesAt: null, fits: false, detail };
    }
    const closesAt = windows.nextChangeAt;
    if (closesAt === null) return { roundEndsAt, closesAt, fits: true, detail: 'The schedule stays open: this round will finish.' };
    const fits = roundEndsAt <= closesAt;
    const minutes = Math.max(1, Math.round(Math.abs(closesAt - roundEndsAt) / 60_000));
    const detail = fits
      ? `This round ends about ${minutes} min before the schedule closes.`
      : this.settings.finishRound
        ? `This round runs about ${minutes} min past the schedule's close; it will be finished, then training pauses.`
        : `This round cannot finish before the schedule closes (${minutes} min short); it will be cut off.`;
    return { roundEndsAt, closesAt, fits, detail };
  }

  private publish(patch: Partial<ScheduleState>): void {
    const next = { ...this.current, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.options.onState?.(next);
  }
}
