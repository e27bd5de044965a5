import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleSettings, type ScheduleState } from '../../../contract/domains/schedule';
import type { StepProgress, TrainerPort, TrainWindowRequest } from '../../../main/ports/trainer-port';
import { Scheduler } from '../../../main/services/schedule/scheduler';
import { evaluateWindows } from '../../../main/services/schedule/weekly-windows';
import { DevnetPeers } from '../../support/devnet-peers';
import { makeTempDir } from '../../support/temp-dir';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

const logger = pino({ level: 'silent' });
// Wednesday 2026-11-25, local time.
const at = (day: number, hh: number, mm: number) => new Date(2026, 10, 22 + day, hh, mm).getTime();

describe('weekly windows', () => {
  const windows = ScheduleSettings.parse({ windows: [{ day: 3, start: '09:00', end: '17:00' }, { day: 6, start: '22:00', end: '24:00' }, { day: 0, start: '00:00', end: '06:00' }] }).windows;

  it('is open inside a window and says when it closes', () => {
    expect(evaluateWindows(windows, at(3, 12, 0))).toEqual({ open: true, nextChangeAt: at(3, 17, 0) });
  });

  it('is closed outside and says when it opens next', () => {
    expect(evaluateWindows(windows, at(3, 8, 30))).toEqual({ open: false, nextChangeAt: at(3, 9, 0) });
    expect(evaluateWindows(windows, at(4, 8, 30))).toEqual({ open: false, nextChangeAt: at(6, 22, 0) });
  });

  it('joins Saturday night to Sunday morning across the end of the week', () => {
    expect(evaluateWindows(windows, at(6, 23, 0))).toEqual({ open: true, nextChangeAt: at(7, 6, 0) });
  });

  it('rejects a window that ends before it starts, naming the field', () => {
    const bad = ScheduleSettings.safeParse({ windows: [{ day: 1, start: '18:00', end: '09:00' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['windows', 0, 'end']);
  });
});

describe('Scheduler with the round engine', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let devnet: DevnetPeers | undefined;
  afterEach(async () => {
    await devnet?.close();
    devnet = undefined;
    temp?.cleanup();
  });

  it('finish this round: a schedule closing mid-round lets the round complete, then pauses; it resumes when the schedule opens', async () => {
    temp = makeTempDir();
    const manifest = vectorEngineManifest(temp.dir, 'schedule-test', { gatherCapSeconds: 1 });
    devnet = await DevnetPeers.open(temp.dir, 50);

    // A trainer whose window waits until the test lets it go: the schedule closes while it trains.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let trainingStarted!: (window: number) => void;
    const started = new Promise<number>((r) => (trainingStarted = r));
    const gated = (uid: number): TrainerPort => {
      const inner = new VectorTrainer(uid);
      return {
        trainWindow: async (request: TrainWindowRequest, onStep: (p: StepProgress) => void) => {
          trainingStarted(request.window);
          await gate;
          return inner.trainWindow(request, onStep);
        },
        applyOuter: inner.applyOuter.bind(inner),
        revertWindow: inner.revertWindow.bind(inner),
        checkpoint: inner.checkpoint.bind(inner),
      };
    };
    const { engine, ledger } = await devnet.add('Alice', { manifest, trainer: gated });

    let clock = at(3, 16, 59); // one minute before the Wednesday window closes
    const states: ScheduleState[] = [];
    const scheduler = new Scheduler({
      settings: ScheduleSettings.parse({ enabled: true, finishRound: true, windows: [{ day: 3, start: '09:00', end: '17:00' }] }),
      probes: { onBattery: async () => false, runningPrograms: async () => [] },
      logger,
      onState: (s) => states.push(s),
      now: () => clock,
    });
    scheduler.attach(engine);
    await scheduler.tick();
    expect(scheduler.state.open).toBe(true);

    await engine.join();
    const window = await started;
    expect(engine.current.phase).toBe('training');

    // 17:00 passes mid-round.
    clock = at(3, 17, 1);
    await scheduler.tick();
    expect(scheduler.state).toMatchObject({ open: false, reason: 'Outside the scheduled hours.', finishingRound: true, pausedBySchedule: true });
    expect(engine.current.joined).toBe(true);

    release();
    await expect.poll(() => engine.current.phase, { timeout: 20_000 }).toBe('paused');
    expect(engine.current.joined).toBe(false);
    expect(engine.current.blocker).toBe('Paused by the schedule: Outside the scheduled hours.');
    // The round that was running completed in full, and no other window started.
    const rounds = await ledger.summaries();
    expect(rounds.map((r) => r.window)).toEqual([window]);
    expect(rounds[0]!.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'gathered', 'applied']));
    await expect.poll(() => scheduler.state.finishingRound).toBe(false);

    // Thursday 09:00 is not in the schedule; Wednesday next week is.
    clock = at(10, 9, 30);
    await scheduler.tick();
    expect(scheduler.state.open).toBe(true);
    expect(engine.current.joined).toBe(true);
    expect(scheduler.state.pausedBySchedule).toBe(false);
    await engine.leave('now');
    expect(states.some((s) => s.finishingRound)).toBe(true);
  });

  it('predicts whether the round in progress fits before the schedule closes', async () => {
    let clock = at(3, 16, 50);
    const round = { joined: true, windowEndsAt: at(3, 16, 58), phase: 'training' } as never;
    const scheduler = new Scheduler({
      settings: ScheduleSettings.parse({ enabled: true, windows: [{ day: 3, start: '09:00', end: '17:00' }] }),
      probes: { onBattery: async () => null, runningPrograms: async () => [] },
      logger,
      uploadSeconds: 60,
      now: () => clock,
    });
    scheduler.observeRound(round);
    expect(scheduler.state.prediction).toMatchObject({ fits: true, closesAt: at(3, 17, 0), detail: 'This round ends about 1 min before the schedule closes.' });
    clock = at(3, 16, 55);
    scheduler.observeRound({ joined: true, windowEndsAt: at(3, 17, 10), phase: 'training' } as never);
    expect(scheduler.state.prediction).toMatchObject({ fits: false, detail: "This round runs about 11 min past the schedule's close; it will be finished, then training pauses." });
  });

  it('pauses on battery and while a listed program runs, naming why', async () => {
    let battery = true;
    let programs: string[] = [];
    const scheduler = new Scheduler({
      settings: ScheduleSettings.parse({ enabled: true, windows: [{ day: 3, start: '00:00', end: '24:00' }], pauseWhilePrograms: ['steam', 'blender'] }),
      probes: { onBattery: async () => battery, runningPrograms: async () => programs },
      logger,
      probeEveryMs: 0,
      now: () => at(3, 12, 0),
    });
    await scheduler.tick();
    expect(scheduler.state).toMatchObject({ open: false, reason: 'On battery power.', onBattery: true });
    battery = false;
    programs = ['blender'];
    await scheduler.tick();
    expect(scheduler.state).toMatchObject({ open: false, reason: 'blender is running.', blockingPrograms: ['blender'] });
    programs = [];
    await scheduler.tick();
    expect(scheduler.state).toMatchObject({ open: true, reason: null });
  });
});
