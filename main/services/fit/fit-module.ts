import { fitEvents, type FitProgress, type fitMethods } from '../../../contract/domains/fit';
import { asCoreHandlers, domainEmitter, type DomainHandlers } from '../../core/domain-module';
import type { CoreModule, ModuleContext } from '../../core/module';
import type { ChainPort } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import { fitReportOf, loadFit, saveFit } from './fit-record';
import { runFitTest, type FitDevice, type FitTrial, type FitTrialOptions } from './fit-test';

/** What the fit test needs for a network, opened by the app (which knows the run, the bucket and the chain); close() lets go of it. */
export interface FitTarget {
  manifest: RunManifest;
  storage: StoragePort | null;
  chain: { port: ChainPort; netuid: number } | null;
  /** A trial of the run on this computer, when its other actors share it (the devnet's). */
  trial?(options: FitTrialOptions): Promise<FitTrial>;
  /** The round ledger this machine writes once joined to that run (for --compare). */
  ledgerFile: string;
  close(): Promise<void>;
}

export interface FitModuleOptions {
  dataDir: string;
  trainerExecutable: () => string;
  corpusDir: () => string;
  device: () => Promise<FitDevice>;
  /** What to test for `network`; ctx gives the settings (limits, chosen GPUs) a trial trains with. */
  target(network: string, ctx: ModuleContext): Promise<FitTarget>;
}

/** The set-up guide's "Will this machine earn?" step: one fit test at a time, progress and the answer as events. */
export function createFitModule(options: FitModuleOptions): CoreModule {
  let running: Promise<void> | null = null;
  return {
    name: 'fit',
    handlers(ctx) {
      const emit = domainEmitter(ctx, fitEvents);
      const send = (progress: FitProgress) => emit('fit.progress', progress);
      const handlers: DomainHandlers<typeof fitMethods> = {
        'fit.start': () => {
          if (running) return { started: false };
          const network = ctx.config.value.network;
          running = (async () => {
            let target: FitTarget | null = null;
            try {
              target = await options.target(network, ctx);
              const result = await runFitTest({
                manifest: target.manifest,
                device: await options.device(),
                trainerExecutable: options.trainerExecutable(),
                corpusDir: options.corpusDir(),
                logger: ctx.logger,
                storage: target.storage,
                chain: target.chain,
                ...(target.trial ? { trial: target.trial } : {}),
                ...(ctx.config.value.limits.cpuThreads ? { threads: ctx.config.value.limits.cpuThreads } : {}),
                onProgress: (part, done, of) => send({ phase: 'running', part, done, of }),
              });
              const saved = { network, runName: target.manifest.name, ledgerFile: target.ledgerFile, result };
              await saveFit(options.dataDir, saved);
              ctx.logger.info({ network, outcome: result.verdict.outcome }, `fit test: ${result.verdict.headline}`);
              send({ phase: 'finished', report: fitReportOf(saved) });
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              ctx.logger.warn({ err: error }, 'fit test failed');
              send({ phase: 'failed', message });
            } finally {
              await target?.close().catch(() => {});
              running = null;
            }
          })();
          return { started: true };
        },
        'fit.last': async () => {
          const saved = await loadFit(options.dataDir);
          // An answer for another network says nothing about this one.
          return saved && saved.network === ctx.config.value.network ? fitReportOf(saved) : null;
        },
      };
      return asCoreHandlers(handlers);
    },
  };
}
