import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LinkCaps } from '../adapters/storage/paced-storage';
import type { TrainerDevice } from '../adapters/trainer/trainer-config';
import type { Logger } from '../core/logging/logger';
import type { RunManifest } from '../ports/run-manifest';
import type { RoundSummary } from '../services/earnings/round-ledger';
import type { FitTrial, FitTrialWindow } from '../services/fit/fit-test';
import { createDevnetRuntime, type DevnetRuntime } from './devnet-runtime';
import { DEVNET_VALIDATOR_IDLE_WINDOWS } from './local-devnet';

/**
 * The fit test on the devnet: a short trial of the devnet itself. The
 * devnet's simulated peers, its validator, its chain and its S3 server all
 * run on this computer, beside this machine's trainer, and share its cores
 * with it: no stand-in times a window the way the devnet will (the node
 * process alone, with its chain, storage, four round engines and the
 * validator's runtime, took a tenth to half a core at each window's start).
 * So the fit starts a throwaway devnet in a folder of its own, joins it as the
 * app would, lets the validator's idle first windows pass, and measures the
 * windows after them from this machine's own round ledger.
 */
export interface DevnetTrialOptions {
  trainerExecutable: string;
  corpusDir: string;
  logger: Logger;
  /** The run tried (default: the embedded devnet's); a manifest being designed can be tried on this machine. */
  manifest?: RunManifest;
  threads?: number;
  device?: TrainerDevice;
  trainerEnv?: Record<string, string>;
  linkCaps?: LinkCaps;
  /** Windows measured once the validator works through every window (default 3; their median is the figure). */
  measuredWindows?: number;
  /** Called as each of this machine's windows ends, for progress. */
  onWindow?(trained: number, of: number): void;
}

/** Three: a window of the devnet's lasts about a second, and one in three is a slower moment. */
const DEFAULT_MEASURED_WINDOWS = 3;
/** The devnet's start (chain, S3, shards, registrations) and its first window's wait, before any window can be measured. */
const START_ALLOWANCE_SECONDS = 90;
const POLL_MS = 500;

export async function runDevnetTrial(options: DevnetTrialOptions): Promise<FitTrial> {
  const measured = options.measuredWindows ?? DEFAULT_MEASURED_WINDOWS;
  const of = DEVNET_VALIDATOR_IDLE_WINDOWS + measured;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tandem-fit-devnet-'));
  let runtime: DevnetRuntime | null = null;
  let blocker: string | null = null;
  try {
    runtime = await createDevnetRuntime({
      root,
      trainerExecutable: options.trainerExecutable,
      corpusDir: options.corpusDir,
      logger: options.logger,
      onState: (state) => {
        if (state.blocker) blocker = state.blocker;
      },
      ...(options.manifest ? { manifest: options.manifest } : {}),
      ...(options.threads === undefined ? {} : { trainerThreads: options.threads }),
      ...(options.device ? { trainerDevice: options.device } : {}),
      ...(options.trainerEnv ? { trainerEnv: options.trainerEnv } : {}),
      ...(options.linkCaps ? { linkCaps: options.linkCaps } : {}),
    });
    const manifest = runtime.devnet.manifest;
    const windowSeconds = manifest.windows.blocksPerWindow * manifest.windows.blockSeconds;
    const limitMs = (START_ALLOWANCE_SECONDS + (of + 1) * (windowSeconds + manifest.windows.uploadDeadlineSeconds)) * 1000;
    const started = Date.now();
    let reported = 0;
    for (;;) {
      const windows = finishedWindows(await runtime.ledger.summaries());
      if (windows.length > reported) options.onWindow?.((reported = Math.min(windows.length, of)), of);
      if (windows.length >= of) {
        const measuredWindows = windows.slice(DEVNET_VALIDATOR_IDLE_WINDOWS, of).map(trialWindowOf);
        return {
          windows: measuredWindows,
          gatherOf: runtime.peers.size - 1,
          peers: (await runtime.chain.metagraph(manifest.chain.netuid)).neurons.length,
          who: `a trial of the devnet on this computer (its ${runtime.peers.size - 1} simulated peers, its validator, chain and storage), windows ${measuredWindows.map((w) => w.window).join(', ')} measured (the median), after the ${DEVNET_VALIDATOR_IDLE_WINDOWS} first in which its validator has nothing to judge yet`,
        };
      }
      if (Date.now() - started > limitMs) {
        throw new Error(`the trial devnet finished ${windows.length} of ${of} windows in ${Math.round((Date.now() - started) / 1000)} s${blocker ? `: ${blocker}` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    if (runtime) {
      await runtime.engine.leave('now').catch(() => {});
      await runtime.close().catch(() => {});
    }
    await fs.rm(root, { recursive: true, force: true }).catch(() => {});
  }
}

/** This machine's windows that it trained, uploaded and gathered, in order: a window's figures are whole only then. */
function finishedWindows(summaries: readonly RoundSummary[]): RoundSummary[] {
  return summaries
    .filter((s) => s.phaseSeconds['training'] !== undefined && s.phaseSeconds['uploading'] !== undefined && s.transferSeconds !== undefined)
    .sort((a, b) => a.window - b.window);
}

function trialWindowOf(s: RoundSummary): FitTrialWindow {
  return { window: s.window, trainingSeconds: s.phaseSeconds['training']!, uploadSeconds: s.phaseSeconds['uploading']!, gatherSeconds: s.transferSeconds!, payloadBytes: s.bytesUp };
}
