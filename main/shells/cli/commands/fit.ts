import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { S3Storage } from '../../../adapters/storage/s3-storage';
import { devnetManifest } from '../../../devnet/devnet-manifest';
import { runDevnetTrial } from '../../../devnet/devnet-trial';
import { DEVNET_VALIDATOR_IDLE_WINDOWS } from '../../../devnet/local-devnet';
import { runFolderName } from '../../../network/join-network';
import { devnetLedgerFiles } from '../../../app/operations';
import { ConfigStore } from '../../../core/config/config-store';
import { headlessAppPaths } from '../../../platform/app-paths';
import { packageInfo } from '../../../platform/package-info';
import { resourceLayout } from '../../../platform/resources';
import type { RunManifest } from '../../../ports/run-manifest';
import type { StoragePort } from '../../../ports/storage-port';
import { RoundLedger, type RoundSummary } from '../../../services/earnings/round-ledger';
import { loadFit, saveFit } from '../../../services/fit/fit-record';
import { CPU_MEMORY_DEVICE, runFitTest, type FitDevice, type FitResult } from '../../../services/fit/fit-test';
import { FIT_PART_WORDS, formatFitFigure } from '../../../../contract/domains/fit';
import type { FitFigure } from '../../../services/fit/fit-verdict';
import { fitDevice } from '../../../services/fit/fit-device';
import { savedBucket } from '../saved-bucket';
import { parseOrExplain, readManifestJson } from '../run-owner';
import { CliError, runContext, withCliErrors, type RunContextOptions } from '../run-context';

interface FitOptions extends RunContextOptions {
  steps?: string;
  storagePassphraseEnv?: string;
  json?: boolean;
  compare?: boolean;
}

/** The data folder (Settings' choice, else the app's default) and the trainer's CPU threads (Settings → limits). */
async function configured(): Promise<{ dataDir: string; cpuThreads: number | null }> {
  const paths = headlessAppPaths();
  const { value } = await ConfigStore.load(paths.configFile);
  return { dataDir: value.dataDir ?? paths.dataDir, cpuThreads: value.limits.cpuThreads };
}
const configuredDataDir = async () => (await configured()).dataDir;

/**
 * `tandem fit`: will this machine earn in this run? A few real inner steps of
 * the run's model, a real update put into and gathered from this peer's
 * bucket, the subnet's peers counted; then the answer with its numbers.
 * Needs no wallet and registers nothing: it is what to run before paying.
 */
export async function fitCommand(options: FitOptions, out: (line: string) => void): Promise<number> {
  if (options.compare) return compareWithWindows(out);
  const paths = headlessAppPaths();
  const layout = resourceLayout({ appRoot: packageInfo().root });
  const logger = pino({ level: 'error' }, pino.destination(2));
  const steps = options.steps === undefined ? undefined : Number(options.steps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 2 && steps <= 1000)) throw new CliError(`--steps ${options.steps}: a whole number from 2 to 1000`);
  const device = await fitDevice();
  const { cpuThreads } = await configured();
  const network = options.network ?? 'devnet';
  let manifest: RunManifest;
  let storage: StoragePort | null;
  let chain: Parameters<typeof runFitTest>[0]['chain'] = null;
  let dataDir: string;
  let close: () => Promise<void>;
  let trial: Parameters<typeof runFitTest>[0]['trial'];
  if (network === 'devnet') {
    // The devnet shares this computer with its simulated peers and validator: the fit is a short trial of a throwaway one.
    // A manifest file named here is a run being designed, tried on this machine's devnet.
    if (options.manifest) {
      const { source, raw } = await readManifestJson(options.manifest);
      manifest = parseOrExplain(raw, source);
    } else manifest = devnetManifest();
    dataDir = await configuredDataDir();
    storage = null;
    close = async () => {};
    const tried = manifest;
    trial = (options) => runDevnetTrial({ ...options, manifest: tried, trainerExecutable: layout.trainerExecutable, corpusDir: layout.devnetCorpus, logger });
  } else {
    const context = await runContext({ ...options, findRun: true, walletOptional: true });
    if (!context.manifest) {
      await context.chain.close();
      throw new CliError(`name the run on ${context.network}: --manifest <file|url>, or --netuid <subnet> to find it on chain`);
    }
    manifest = context.manifest;
    dataDir = context.dataDir;
    chain = { port: context.chain, netuid: context.netuid };
    close = () => context.chain.close();
    const bucket = await savedBucket(paths, options.storagePassphraseEnv);
    storage = bucket ? new S3Storage({ endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle, ...bucket.write }) : null;
  }
  let result: FitResult;
  try {
    out(`Fit test for ${manifest.name} on ${network}: ${describeDevice(device)}.`);
    result = await runFitTest({
      manifest,
      device,
      trainerExecutable: layout.trainerExecutable,
      corpusDir: layout.devnetCorpus,
      logger,
      storage,
      chain,
      ...(trial ? { trial } : {}),
      ...(cpuThreads ? { threads: cpuThreads } : {}),
      ...(steps === undefined ? {} : { measureSteps: steps }),
      onProgress: (part, done, of) => {
        if (options.json) return;
        // A trial reports each of its windows: the part once, then the windows done.
        if (part === 'trial' && done > 1) out(`        ${done - 1} of ${of - 2} windows done`);
        else out(`  [${done + 1}/${of}] ${FIT_PART_WORDS[part]}…`);
      },
    });
  } finally {
    await close();
  }
  const ledgerFile = network === 'devnet' ? devnetLedgerFiles(dataDir).ledgerFile : path.join(dataDir, 'runs', runFolderName(network, manifest.chain.netuid), 'rounds.ndjson');
  await saveFit(dataDir, { network, runName: manifest.name, ledgerFile, result });
  if (options.json) {
    out(JSON.stringify(result, null, 2));
  } else {
    for (const line of describeFit(result)) out(line);
    out('After you join, `tandem fit --compare` prints these predictions next to what your first windows measured.');
  }
  return result.verdict.outcome === 'cannot-keep-up' ? 1 : 0;
}

function describeDevice(device: FitDevice): string {
  if (device.gpus.length === 0) return 'no GPU, so the CPU trains';
  return device.gpus.map((g) => `${g.name} (${formatFitFigure(g.vramBytes, 'bytes')})`).join(', ');
}

export function describeFit(result: FitResult): string[] {
  const v = result.verdict;
  const lines = [`Answer: ${v.headline}.`, ''];
  for (const f of v.figures) lines.push(`  ${f.ok === false ? '✗' : '✓'} ${f.label}: ${formatFitFigure(f.predicted, f.unit)} of ${formatFitFigure(f.limit, f.unit)}`);
  const m = result.measurement;
  if (m.payloadBytes !== null) lines.push(`  one update is ${formatFitFigure(m.payloadBytes, 'bytes')}${m.secondsPerInnerStep === null ? '' : `; ${formatFitFigure(m.secondsPerInnerStep, 'seconds')} per inner step on ${result.trainedOn}`}`);
  if (m.peers !== null) lines.push(`  ${m.peers} peers registered on the subnet`);
  if (v.shareOfMedian !== null) lines.push(`  expected share of a window's work against the median peer: ${Math.round(v.shareOfMedian * 100)} %`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  if (v.advice.length > 0) lines.push('', 'What to change:', ...v.advice.map((a) => `  - ${a}`));
  return lines;
}


/**
 * `tandem fit --compare`: the last fit's predictions beside the first three
 * windows this machine then trained, from its round ledger. On the devnet the
 * windows before its validator starts judging come first, marked: the fit
 * predicts the run as it goes on, with the validator at work.
 */
async function compareWithWindows(out: (line: string) => void): Promise<number> {
  const saved = await loadFit(await configuredDataDir());
  if (!saved) throw new CliError('no fit test yet: run `tandem fit` first');
  const after = Date.parse(saved.result.measuredAt);
  const idle = saved.network === 'devnet' ? DEVNET_VALIDATOR_IDLE_WINDOWS : 0;
  const windows = (await new RoundLedger(saved.ledgerFile).summaries()).filter((w: RoundSummary) => w.firstAt >= after && w.phaseSeconds['training'] !== undefined).slice(0, idle + 3);
  out(`Fit test of ${new Date(after).toLocaleString()} on ${saved.network}: ${saved.result.verdict.headline}.`);
  if (windows.length === 0) {
    out('No window trained since then. Join the run (tandem start), and compare again after a few windows.');
    return 0;
  }
  const predicted = (name: FitFigure['name']) => saved.result.verdict.figures.find((f) => f.name === name)?.predicted ?? null;
  const rows: Array<[string, number | null, (w: RoundSummary) => number | undefined, 'seconds' | 'bytes']> = [
    ['training', predicted('training'), (w) => w.phaseSeconds['training'], 'seconds'],
    ['upload', predicted('upload'), (w) => w.phaseSeconds['uploading'], 'seconds'],
    // The transfer, not the wait for the other peers' uploads that the gathering phase also holds (older ledgers: the phase).
    ['gather', predicted('gather'), (w) => w.transferSeconds ?? w.phaseSeconds['gathering'], 'seconds'],
  ];
  // The trainer's resident memory is the RAM a CPU trainer uses; a GPU's memory is not in it.
  if (saved.result.measurement.memory?.device === CPU_MEMORY_DEVICE) rows.push(['memory', predicted('memory'), (w) => w.memoryBytes, 'bytes']);
  const marked = (i: number) => (i < idle ? '*' : '');
  out(`  ${'figure'.padEnd(10)}${'predicted'.padStart(11)}${windows.map((w, i) => `window ${w.window}${marked(i)}`.padStart(18)).join('')}`);
  for (const [name, guess, measure, unit] of rows) {
    const cells = windows.map((w) => {
      const m = measure(w);
      if (m === undefined) return '—'.padStart(18);
      const off = guess ? ` (${m >= guess ? '+' : ''}${Math.round(((m - guess) / guess) * 100)} %)` : '';
      return `${formatFitFigure(m, unit)}${off}`.padStart(18);
    });
    out(`  ${name.padEnd(10)}${formatFitFigure(guess, unit).padStart(11)}${cells.join('')}`);
  }
  if (idle > 0 && windows.length > 0) out(`  * the devnet's first ${idle} windows: its validator has nothing to judge yet and leaves more of the CPU to training than in the windows the fit measured`);
  return 0;
}

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description('will this machine earn in this run? Trains a few real steps, times an upload and a gather, and answers before you register')
    .option('--network <name|url>', 'the run’s network (default: the embedded devnet)')
    .option('--manifest <file|url>', 'the run’s manifest')
    .option('--netuid <n>', 'the run’s subnet (found on chain when no manifest is named)')
    .option('--run-owner <hotkey>', 'who must have signed the manifest')
    .option('--steps <n>', 'inner steps to time (the first is a warm-up; on the devnet the fit is a trial of whole windows instead)', '5')
    .option('--storage-passphrase-env <VAR>', 'environment variable holding the passphrase that seals your storage keys')
    .option('--json', 'print the answer and every figure as JSON')
    .option('--compare', 'print the last fit test’s predictions beside the windows trained since')
    .action((options: FitOptions) => withCliErrors((out) => fitCommand(options, out)));
}
