import path from 'node:path';
import type { EventData, EventName } from '../../contract';
import { ContractError } from '../../contract/errors';
import type { GuardSettings } from '../../contract/domains/guard';
import type { RoundState } from '../../contract/domains/round';
import type { ScheduleSettings } from '../../contract/domains/schedule';
import { ConfigError, type ConfigStore } from '../core/config/config-store';
import type { CoreModule, ModuleContext } from '../core/module';
import { earningsReport } from '../services/earnings/earnings';
import { earningsToCsv } from '../services/earnings/earnings-csv';
import { EarningsTracker } from '../services/earnings/earnings-tracker';
import { EnergyMeter } from '../services/earnings/energy-meter';
import { CpuEnergyCounter } from '../services/hardware/cpu-energy';
import { applyPowerCaps, restorePowerLimits } from '../services/guard/power-cap';
import type { SimulatedGpu } from '../services/guard/simulated-gpu';
import { ThermalGuard } from '../services/guard/thermal-guard';
import { trainerGpuEnv, visibleDevices } from '../services/guard/gpu-selection';
import type { TelemetryHub } from '../services/hardware/telemetry-hub';
import { RoundLedger } from '../services/earnings/round-ledger';
import { Notifier } from '../services/notifications/notifier';
import type { RoundRuntime } from '../services/round/round-module';
import { systemProbes, type ScheduleProbes } from '../services/schedule/probes';
import { Scheduler } from '../services/schedule/scheduler';
import type { SupervisorState } from '../adapters/process/process-supervisor';

export interface OperationsOptions {
  /** The ledger of this machine's rounds, readable before any Join (earnings after a restart). */
  ledgerFile: string;
  payoutsFile: string;
  /** The app's one GPU telemetry source, shared with the Hardware page and Dashboard. */
  telemetry: TelemetryHub;
  /** When the telemetry is a simulated GPU (devnet demo, tests): it cools when the trainer is throttled. */
  simulatedGpu?: SimulatedGpu | undefined;
  probes?: ScheduleProbes;
  /** The CPU's energy counter (default: RAPL, where readable); tests give their own. */
  cpuEnergy?: () => CpuEnergyCounter | null;
  /** How often the energy meter samples the power (ms). */
  energySampleMs?: number;
}

function configError(error: unknown): never {
  if (error instanceof ConfigError) throw new ContractError('INVALID_PARAMS', error.message, error.issues);
  throw error;
}

/**
 * What no other compute-sharing app ships, wired into the core: the thermal
 * and power guard, schedules, the earnings ledger and notifications. The round
 * module tells it when a run exists (`attach`) and how it goes (`observeRound`).
 */
export function createOperations(options: OperationsOptions) {
  let ctx: ModuleContext | undefined;
  let runtime: RoundRuntime | undefined;
  let feed: { unsubscribe(): void } | undefined;
  const emit = <E extends EventName>(event: E, data: EventData<E>) => ctx?.emit(event, data);
  const config = (): ConfigStore => {
    if (!ctx) throw new Error('operations used before the core started');
    return ctx.config;
  };

  const notifier = new Notifier({ onNotification: (n) => emit('notification', n) });
  const simulated = options.simulatedGpu;
  let guard: ThermalGuard | undefined;
  let scheduler: Scheduler | undefined;
  // GPUs whose power limit we changed: put back when the cap is switched off or the app stops.
  let capped: number[] = [];
  const updatePowerCaps = async (settings: GuardSettings) => {
    const restore = capped;
    capped = [];
    const problems = await restorePowerLimits(restore);
    const result = await applyPowerCaps(settings);
    capped = result.capped;
    const detail = problems.length > 0 ? `${result.detail ?? ''} Could not restore the default limit on ${problems.join('; ')}.`.trim() : result.detail;
    guard?.patch({ powerCap: { status: result.status, detail } });
  };

  const ensure = (context: ModuleContext) => {
    ctx ??= context;
    guard ??= new ThermalGuard({
      settings: context.config.value.guard,
      onThrottle: (t) => {
        simulated?.setThrottle(t);
        void runtime?.trainer?.throttle?.(t).catch((error: unknown) => context.logger.warn({ err: error }, 'could not send the throttle to the trainer'));
      },
      onState: (s) => {
        notifier.onGuard(s);
        emit('guard', s);
      },
    });
    guard.patch({ visibleDevices: visibleDevices(context.config.value.guard.selectedGpus) });
    scheduler ??= new Scheduler({
      settings: context.config.value.schedule,
      probes: options.probes ?? systemProbes,
      logger: context.logger,
      uploadSeconds: 30,
      onState: (s) => emit('schedule', s),
    });
  };

  // The cost ledger: energy per window, from the GPUs' telemetry and the CPU's counter (or the user's wattage).
  let gpuWatts: number | null = null;
  let cpuCounter: CpuEnergyCounter | null | undefined;
  const meter = new EnergyMeter({
    gpuWatts: () => gpuWatts,
    cpuJoules: () => (cpuCounter === undefined ? (cpuCounter = (options.cpuEnergy ?? CpuEnergyCounter.open)()) : cpuCounter)?.read() ?? null,
    settingWatts: () => ctx?.config.value.costs.machineWatts ?? null,
  });
  let meterTimer: NodeJS.Timeout | undefined;
  let meterWindow: number | null = null;

  const startFeed = () => {
    if (feed || !guard) return;
    const g = guard;
    feed = options.telemetry.subscribe((frame) => {
      g.observe(frame, frame.source);
      const watts = frame.gpus.map((gpu) => gpu.powerW).filter((w): w is number => w !== null);
      gpuWatts = watts.length > 0 ? watts.reduce((a, b) => a + b, 0) : null;
    });
  };
  const stopFeed = () => {
    feed?.unsubscribe();
    feed = undefined;
  };

  const guardModule: CoreModule = {
    name: 'guard',
    handlers: (context) => {
      ensure(context);
      return {
        'guard.get': () => guard!.state,
        'guard.settings': () => config().value.guard,
        'guard.configure': async (patch) => {
          const next = await config()
            .update((draft) => ({ ...draft, guard: { ...draft.guard, ...patch } as GuardSettings }))
            .catch(configError);
          guard!.configure(next.guard);
          guard!.patch({ visibleDevices: visibleDevices(next.guard.selectedGpus) });
          // The cap is set while a run is joined; otherwise at the next Join.
          if (runtime) await updatePowerCaps(next.guard);
          return next.guard;
        },
      };
    },
    stop: async () => {
      stopFeed();
      if (meterTimer) clearInterval(meterTimer);
      await restorePowerLimits(capped.splice(0));
    },
  };

  const scheduleModule: CoreModule = {
    name: 'schedule',
    handlers: (context) => {
      ensure(context);
      return {
        'schedule.get': () => scheduler!.state,
        'schedule.settings': () => config().value.schedule,
        'schedule.configure': async (patch) => {
          const next = await config()
            .update((draft) => ({ ...draft, schedule: { ...draft.schedule, ...patch } as ScheduleSettings }))
            .catch(configError);
          await scheduler!.configure(next.schedule);
          return next.schedule;
        },
      };
    },
    start: () => {
      scheduler?.start();
      void scheduler?.tick();
    },
    stop: () => scheduler?.stop(),
  };

  const earningsModule: CoreModule = {
    name: 'earnings',
    handlers: () => {
      const report = async (limit: number) => {
        const ledger = runtime?.ledger ?? new RoundLedger(options.ledgerFile);
        const payouts = runtime?.payouts?.() ?? (await EarningsTracker.readPayouts(options.payoutsFile));
        return earningsReport(await ledger.summaries(), payouts, limit, config().value.costs);
      };
      return {
        'earnings.report': ({ limit }) => report(limit),
        'earnings.exportCsv': async () => ({ filename: `tandem-earnings-${new Date().toISOString().slice(0, 10)}.csv`, csv: earningsToCsv((await report(Number.MAX_SAFE_INTEGER)).rows, config().value.costs.currency) }),
      };
    },
  };

  const notificationsModule: CoreModule = {
    name: 'notifications',
    handlers: () => ({
      'notifications.list': () => notifier.list(),
      'notifications.markRead': ({ ids }) => notifier.markRead(ids),
    }),
  };

  return {
    modules: [guardModule, scheduleModule, earningsModule, notificationsModule] as CoreModule[],
    notifier,
    /** Environment for this machine's trainer: only the chosen GPUs. */
    trainerEnv: (context: ModuleContext) => trainerGpuEnv(context.config.value.guard.selectedGpus),
    onTrainerSupervisor: (state: SupervisorState) => notifier.onSupervisor(state),
    /** The round module's runtime came (or went). */
    attach(next: RoundRuntime | undefined): void {
      runtime = next;
      scheduler?.attach(next?.engine);
      if (meterTimer) clearInterval(meterTimer);
      meterTimer = undefined;
      meterWindow = null;
      gpuWatts = null;
      if (next) {
        meter.reset();
        meterTimer = setInterval(() => meter.sample(), options.energySampleMs ?? 2000);
        meterTimer.unref?.();
        startFeed();
        if (ctx && ctx.config.value.guard.applyPowerCap) void updatePowerCaps(ctx.config.value.guard);
      } else {
        stopFeed();
        if (capped.length > 0) void restorePowerLimits(capped.splice(0));
      }
    },
    observeRound(state: RoundState): void {
      notifier.onRound(state);
      scheduler?.observeRound(state);
      // A new window began: the energy since the last one began is that window's.
      if (runtime && state.joined && state.window !== null && state.window !== meterWindow) {
        const energy = meter.take();
        const ledger = runtime.ledger;
        if (meterWindow !== null && energy && ledger) void ledger.append({ window: meterWindow, at: Date.now(), energyWh: Math.round(energy.wh * 1e4) / 1e4, energySource: energy.source }).catch(() => undefined);
        meterWindow = state.window;
      }
    },
    /** Lets the notifier see another module's events (check results, chain balance) without that module knowing. */
    tap(module: CoreModule): CoreModule {
      return {
        ...module,
        handlers: (context) =>
          module.handlers({
            ...context,
            emit: (event, data) => {
              context.emit(event, data);
              if (event === 'hardware.progress') notifier.onHardwareProgress(data as EventData<'hardware.progress'>);
              if (event === 'chain.status') notifier.onChainStatus(data as EventData<'chain.status'>);
            },
          }),
        ...(module.start ? { start: () => module.start!() } : {}),
        ...(module.stop ? { stop: () => module.stop!() } : {}),
      };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;

export const devnetLedgerFiles = (dataDir: string) => ({
  ledgerFile: path.join(dataDir, 'devnet', 'peers', 'me', 'rounds.ndjson'),
  payoutsFile: path.join(dataDir, 'devnet', 'peers', 'me', 'payouts.json'),
});
