import type { HardwareReport } from '../../../contract/domains/hardware';
import { ContractError } from '../../../contract/errors';
import type { CoreModule } from '../../core/module';
import { presetTarget, realDeps, runReadiness, withSavedStorage, type ReadinessDeps, type SavedStorageProbe } from './readiness';
import { renderHtml } from './report';
import { TelemetryHub } from './telemetry-hub';

export interface HardwareModuleOptions {
  app: { name: string; version: string };
  deps?: ReadinessDeps;
  /** The app's one GPU telemetry source (shared with the thermal guard). */
  telemetry?: TelemetryHub;
  env?: NodeJS.ProcessEnv;
  /** The storage credentials saved in Settings → Storage, measured when the environment names none. */
  savedStorage?: SavedStorageProbe;
}

/** Report file name: host and time, safe on every file system. */
export function reportFilename(report: HardwareReport, extension: 'json' | 'html'): string {
  const host = report.machine.hostname.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'machine';
  const when = report.generatedAt.replace(/[:.]/g, '-');
  return `tandem-readiness-${host}-${when}.${extension}`;
}

/**
 * The hardware domain of the core: runs the readiness checks (one at a time;
 * a second request while one runs gets the same result), keeps the last
 * report for export, and streams GPU telemetry on request.
 */
export function createHardwareModule(options: HardwareModuleOptions): CoreModule {
  let last: HardwareReport | null = null;
  let running: Promise<HardwareReport> | null = null;
  const hub = options.telemetry ?? new TelemetryHub();
  // The UI's subscription: one for all its views, on while any of them asks.
  let uiSubscription: ReturnType<TelemetryHub['subscribe']> | null = null;

  return {
    name: 'hardware',
    handlers: (ctx) => ({
      'hardware.run': (params) => {
        if (running) return running;
        const preset = presetTarget(params.requirements, { env: options.env ?? process.env, chainNetwork: ctx.config.value.network });
        // The devnet keeps its updates in a local folder: no bucket of this peer's to measure.
        running = withSavedStorage(preset, params.requirements === 'devnet' || params.skipNetwork ? undefined : options.savedStorage)
          .then((target) =>
            runReadiness(
              {
                target,
                skipNetwork: params.skipNetwork,
                dataDir: ctx.paths.dataDir,
                app: options.app,
                onProgress: (progress) => ctx.emit('hardware.progress', progress),
              },
              options.deps ?? realDeps,
            ),
          )
          .then((report) => {
            last = report;
            ctx.logger.info({ overall: report.summary.overall, fail: report.summary.fail, warn: report.summary.warn }, 'hardware readiness checked');
            return report;
          })
          .finally(() => {
            running = null;
          });
        return running;
      },
      'hardware.lastReport': () => last,
      'hardware.export': (params) => {
        if (!last) throw new ContractError('FAILED', 'No readiness report yet: run the checks first.');
        return params.format === 'json'
          ? { filename: reportFilename(last, 'json'), mimeType: 'application/json', text: `${JSON.stringify(last, null, 2)}\n` }
          : { filename: reportFilename(last, 'html'), mimeType: 'text/html', text: renderHtml(last) };
      },
      'hardware.telemetry': (params) => {
        if (!params.enabled) {
          uiSubscription?.unsubscribe();
          uiSubscription = null;
          return { ...hub.status, running: false };
        }
        if (!uiSubscription || !hub.status.running) {
          uiSubscription?.unsubscribe();
          uiSubscription = hub.subscribe((frame) => ctx.emit('hardware.telemetry', frame));
        }
        return hub.status;
      },
    }),
    stop: () => {
      uiSubscription?.unsubscribe();
      uiSubscription = null;
    },
  };
}
