import type { StateCreator } from 'zustand';
import type { Check, HardwareReport } from '../../../../contract/domains/hardware';
import type { HardwareActions, HardwareRunProgress, HardwareState, Store } from '../types';

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
