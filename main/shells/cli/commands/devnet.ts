import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { createDevnetRuntime } from '../../../devnet/devnet-runtime';
import { parseManifestText, type RunManifest } from '../../../ports/run-manifest';
import { devnetFolder, requireTrainer } from '../devnet-folder';
import { roundProgressPrinter } from '../round-progress';
import { registerDevnetServe } from './devnet-serve';

interface DevnetOptions {
  peers: number;
  rounds?: number;
  root?: string;
  sequential?: boolean;
  manifest?: RunManifest;
}

/**
 * `--manifest <file>`: another run for the devnet to serve than its own (a
 * larger model, longer windows). Its chain must be the devnet: the devnet
 * signs it with its owner key at start, as it does its own.
 */
function devnetRunManifest(file: string): RunManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let manifest: RunManifest;
  try {
    manifest = parseManifestText(text, file);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  if (manifest.chain.network !== 'devnet') throw new InvalidArgumentError(`${file} names the network ${manifest.chain.network}: the devnet serves only a run whose chain.network is "devnet" (join another network with tandem start --manifest)`);
  return manifest;
}

function parseCount(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** `tandem devnet`: the local devnet (chain, storage, validator, simulated peers) and this machine training in it, without the UI. */
export function registerDevnet(program: Command): void {
  const devnet = program.command('devnet').description('the local devnet: run it with this machine training in it (default), serve it to other machines, fund an account');
  registerDevnetServe(devnet);
  devnet
    .command('run', { isDefault: true })
    .description('run the local devnet (chain node, S3, validator, simulated peers) and train in it on the CPU, printing round progress; Ctrl-C stops')
    .option('--peers <n>', 'simulated peers besides this machine (1 to 5)', parseCount(1, 5), 3)
    .option('--rounds <n>', 'stop after this many completed rounds (default: run until Ctrl-C)', parseCount(1, 1_000_000))
    .option('--root <dir>', "the devnet's folder (default: devnet-cli in Tandem's data folder, apart from the app's own devnet)")
    .option('--sequential', 'upload and gather after training instead of during the next window (for comparison)')
    .option('--manifest <file>', 'serve this run (a devnet run manifest: another model, longer windows) in place of the devnet\u2019s own', devnetRunManifest)
    .action(async (options: DevnetOptions) => {
      const layout = requireTrainer('run the devnet');
      const { root, logFile, logger } = devnetFolder(options.root, 'devnet-cli');
      console.log(`Tandem devnet in ${root} (log: ${logFile}); ${options.peers} simulated peers, this machine and a validator${options.manifest ? `, serving the run "${options.manifest.name}"` : ''}.`);
      const print = roundProgressPrinter({ line: (t) => console.log(t), error: (t) => console.error(t) });
      let roundsDone = 0;
      let finish: (() => void) | undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const runtime = await createDevnetRuntime({
        root,
        trainerExecutable: layout.trainerExecutable,
        corpusDir: layout.devnetCorpus,
        logger,
        simulatedPeers: options.peers,
        ...(options.manifest ? { manifest: options.manifest } : {}),
        // The schedule is the run's, the same for every peer: the devnet's manifest says it.
        ...(options.sequential ? { tuneManifest: (m: RunManifest) => ({ ...m, windows: { ...m.windows, overlapCommunication: false } }) } : {}),
        onState: (state) => {
          print(state);
          roundsDone = state.completedRounds;
          if (options.rounds !== undefined && roundsDone >= options.rounds) finish?.();
        },
      });
      let stopping = false;
      const stop = async (when: 'now' | 'after-round') => {
        if (stopping) return;
        stopping = true;
        console.log(when === 'now' ? 'Stopping…' : 'Finishing the window in progress…');
        await runtime.engine.leave(when);
        await runtime.close();
        console.log(`Stopped after ${roundsDone} completed rounds.`);
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      };
      process.once('SIGINT', () => void stop('now').then(() => process.exit(0)));
      process.once('SIGTERM', () => void stop('now').then(() => process.exit(0)));
      await runtime.engine.join();
      await finished;
      await stop('after-round');
    });
}
