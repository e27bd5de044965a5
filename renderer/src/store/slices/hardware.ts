import type { StateCreator } from 'zustand';
import type { Check, HardwareProgress, HardwareReport, TelemetryFrame, TelemetryStatus } from '../../../../contract/domains/hardware';
import type { Store } from '../index';

export interface HardwareRunProgress {
  runId: string | null;
  step: string;
  completed: number;
  total: number;
  /** Checks reported so far in this run, in order. */
  checks: Check[];
}

export interface HardwareState {
  /** The last finished report; null before the first run (the page shows its empty state). */
  hardwareReport: HardwareReport | null;
  /** Set while a run is in progress. */
  hardwareRun: HardwareRunProgress | null;
  hardwareError: string | null;
  hardwareTelemetry: TelemetryFrame | null;
  hardwareTelemetryStatus: TelemetryStatus | null;
}

export interface HardwareActions {
  /** The page asked for a run; progress events fill it in. */
  startHardwareRun(): void;
  receiveHardwareProgress(progress: HardwareProgress): void;
  receiveHardwareReport(report: HardwareReport | null): void;
  failHardwareRun(message: string): void;
  receiveTelemetry(frame: TelemetryFrame): void;
  setTelemetryStatus(status: TelemetryStatus | null): void;
}

export const initialHardwareState: HardwareState = {
  hardwareReport: null,
  hardwareRun: null,
  hardwareError: null,
  hardwareTelemetry: null,
  hardwareTelemetryStatus: null,
};

export const createHardwareSlice: StateCreator<Store, [], [], HardwareActions> = (set) => ({
  startHardwareRun: () => set({ hardwareRun: { runId: null, step: 'Starting…', completed: 0, total: 0, checks: [] }, hardwareError: null }),
  receiveHardwareProgress: (p) =>
    set((s) => {
      if (p.phase === 'finished') return s;
      // Another window may have started the run: progress alone opens the run view.
      const run = s.hardwareRun && (s.hardwareRun.runId === null || s.hardwareRun.runId === p.runId) ? s.hardwareRun : { runId: p.runId, step: '', completed: 0, total: 0, checks: [] };
      if (p.phase === 'failed') return { hardwareRun: null, hardwareError: p.message ?? 'The readiness check failed.' };
      return {
        hardwareRun: {
          runId: p.runId,
          step: p.step,
          completed: p.completed,
          total: p.total,
          checks: p.check ? [...run.checks.filter((c) => c.id !== p.check!.id), p.check] : run.checks,
        },
      };
    }),
  receiveHardwareReport: (report) => set((s) => ({ hardwareReport: report ?? s.hardwareReport, hardwareRun: null, hardwareError: null })),
  failHardwareRun: (message) => set({ hardwareRun: null, hardwareError: message }),
  receiveTelemetry: (frame) => set({ hardwareTelemetry: frame }),
  setTelemetryStatus: (status) => set({ hardwareTelemetryStatus: status }),
});

export const hardwareSelectors = {
  report: (s: Store) => s.hardwareReport,
  run: (s: Store) => s.hardwareRun,
  error: (s: Store) => s.hardwareError,
  telemetry: (s: Store) => s.hardwareTelemetry,
  telemetryStatus: (s: Store) => s.hardwareTelemetryStatus,
  /** Checks to show: the live ones during a run, else the last report's. */
  visibleChecks: (run: HardwareRunProgress | null, report: HardwareReport | null): Check[] => run?.checks.length ? run.checks : (report?.checks ?? []),
};
