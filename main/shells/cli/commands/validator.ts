import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { ADVERSARY_KINDS, parseAdversaryKinds, type AdversaryKind } from '../../../devnet/adversaries/adversary-kinds';
import { createDevnetRuntime } from '../../../devnet/devnet-runtime';
import { headlessAppPaths } from '../../../platform/app-paths';
import { packageInfo } from '../../../platform/package-info';
import { missingResources, resourceLayout } from '../../../platform/resources';
import { madeOfNote, type WindowReport } from '../../../services/validator/window-report';
import { createValidatorRuntime, type ValidatorRuntime } from '../../../services/validator/validator-runtime';
import { runFolderName } from '../../../network/join-network';
import { ListedShards, runBucketClients, shardCacheDir } from '../../../services/run/listed-shards';
import { localShards } from '../../../services/run/local-shards';
import { runTrainer } from '../../../adapters/trainer/trainer-config';
import { incompatibilityWith } from '../../../services/run/run-compatibility';
import { CliError, runContext, type RunContext, type RunContextOptions } from '../run-context';
import { placeInitialWeights } from '../../../services/run/initial-weights';
import { savedBucket } from '../saved-bucket';
import { S3Storage } from '../../../adapters/storage/s3-storage';
import { RatingBook } from '../../../services/validator/rating-book';

export interface ValidatorIo {
  stdout(text: string): void;
  stderr(text: string): void;
  dataDir?: string;
}

/** The devnet folder the app uses, where its validator keeps ratings.json. */
function devnetDir(dir: string | undefined, io: ValidatorIo): string {
  return path.resolve(dir ?? path.join(io.dataDir ?? headlessAppPaths().dataDir, 'devnet'));
}

/** The saved ratings as a table, best first, with the weights the book sets for the next window. */
export function renderRatings(book: RatingBook): string {
  const peers = book.all();
  if (peers.length === 0) return 'No ratings yet: the validator has not scored a window.\n';
  const next = (book.lastWindow ?? -1) + 1;
  const weights = book.weights(next);
  const rows = peers
    .map((p) => ({ p, ordinal: book.ordinalOf(p.uid) }))
    .sort((a, b) => b.ordinal - a.ordinal)
    .map(({ p, ordinal }) => {
      const penalty = book.isPenalized(p.uid, next) ? `until window ${p.penalizedUntil}` : '-';
      return [String(p.uid), ordinal.toFixed(2), p.mu.toFixed(2), p.sigma.toFixed(2), `${((weights.get(p.uid) ?? 0) * 100).toFixed(1)}%`, String(p.penalties), penalty, String(p.windowsScored), p.lastFlags.join(',') || '-'];
    });
  const header = ['uid', 'ordinal', 'mu', 'sigma', 'weight', 'penalties', 'penalized', 'scored', 'last flags'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return `Ratings after window ${book.lastWindow} (OpenSkill Plackett–Luce; weight = share for window ${next}):\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `tandem validator ratings`: prints the devnet validator's saved ratings; exit 0, or 2 on a bad file. */
export async function runValidatorRatings(options: { dir?: string }, io: ValidatorIo): Promise<number> {
  const file = path.join(devnetDir(options.dir, io), 'validator', 'ratings.json');
  try {
    io.stdout(renderRatings(await RatingBook.load(file)));
    return 0;
  } catch (error) {
    io.stderr(`tandem validator: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
}

interface RunOptions extends RunContextOptions {
  dir?: string;
  adversaries?: string;
  windows?: string;
  evalPeers?: string;
  hotkeyPassphraseEnv?: string;
  storagePassphraseEnv?: string;
}

/** What an update was found made of: `x0.98<-4` copied from uid 4, `x0.98~4` made of uid 4's upload that landed too close to order. */
const formatReport = (r: WindowReport) =>
  `window ${r.window}: ${r.peers.map((p) => `${p.uid}:${(p.score * 100).toFixed(2)}${madeOfNote(p)}${p.flags.length ? `[${p.flags.join(',')}]` : ''}`).join(' ') || (r.unjudged ? `nobody rated (${r.unjudged})` : 'nobody rated')}; aggregated ${r.aggregated.join(',') || 'none'} (${r.seconds.toFixed(1)} s)\n`;

/**
 * `tandem validator run`: the local devnet in the foreground with its
 * validator (and, on request, cheating peers), one line per validated window,
 * the ratings table at the end. Stop the app first: both would use the folder.
 */
export async function runValidator(options: RunOptions, io: ValidatorIo): Promise<number> {
  if (options.network && options.network !== 'devnet') return runNetworkValidator(options, io);
  let adversaries: AdversaryKind[];
  let windows: number | null = null;
  let evalPeers: number | undefined;
  try {
    adversaries = options.adversaries ? parseAdversaryKinds(options.adversaries) : [];
    if (options.windows !== undefined) windows = positiveInt(options.windows, '--windows');
    if (options.evalPeers !== undefined) evalPeers = positiveInt(options.evalPeers, '--eval-peers');
  } catch (error) {
    io.stderr(`tandem validator: ${(error as Error).message}\n`);
    return 2;
  }
  const layout = resourceLayout({ appRoot: packageInfo().root });
  const missing = missingResources(layout);
  if (missing.length > 0) {
    io.stderr(`tandem validator: the trainer is not built (missing ${missing.join(', ')}). Run npm run build:native.\n`);
    return 2;
  }
  const root = devnetDir(options.dir, io);
  // Errors only: the per-window lines say what the validator saw, peers' warnings would drown them.
  const logger = pino({ level: 'error' }, pino.destination(2));
  let validated = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const runtime = await createDevnetRuntime({
    root,
    trainerExecutable: layout.trainerExecutable,
    corpusDir: layout.devnetCorpus,
    logger,
    onState: () => {},
    adversaries,
    ...(evalPeers === undefined ? {} : { validatorSettings: { evalPeers } }),
    onValidated: (report) => {
      io.stdout(formatReport(report));
      if (!report.unjudged) validated++;
      if (windows !== null && validated >= windows) finish();
    },
  });
  io.stdout(`Devnet in ${root}: ${runtime.peers.size} peers${adversaries.length ? ` (adversaries: ${adversaries.join(', ')})` : ''}; validating${windows === null ? ' until Ctrl-C' : ` ${windows} windows`}.\n`);
  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await finished;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await runtime.close();
  io.stdout(renderRatings(runtime.ratings));
  return 0;
}

/**
 * `tandem validator run --network <url> --wallet <name>`: this wallet's
 * hotkey validates the run on that network (miners' buckets from their
 * commitments, weights set on chain), one line per validated window.
 */
async function runNetworkValidator(options: RunOptions, io: ValidatorIo): Promise<number> {
  let context: RunContext | undefined;
  let runtime: ValidatorRuntime | undefined;
  try {
    const windows = options.windows === undefined ? null : positiveInt(options.windows, '--windows');
    context = await runContext({ ...options, findRun: true });
    const { manifest, wallet, wallets, chain, network } = context;
    if (!manifest) throw new CliError(`name the run on ${network}: --manifest <file|url>, or --netuid <subnet> to find it on chain`);
    const incompatible = incompatibilityWith(manifest, { version: packageInfo().version });
    if (incompatible) throw new CliError(`cannot validate ${manifest.name}: ${incompatible}`);
    const passphrase = options.hotkeyPassphraseEnv ? process.env[options.hotkeyPassphraseEnv] : undefined;
    if (!passphrase) throw new CliError('the validator signs weights with its hotkey: give its passphrase with --hotkey-passphrase-env <VAR>');
    await wallets.unlock({ name: wallet.name, hotkey: wallet.hotkeys[0]!.name, passphrase, remember: false, timeoutMinutes: 0 });
    const hotkey = wallets.hotkeySigner();
    if (!hotkey) throw new CliError('the hotkey did not unlock');
    const layout = resourceLayout({ appRoot: packageInfo().root });
    const missing = missingResources(layout);
    if (missing.length > 0) throw new CliError(`the trainer is not built (missing ${missing.join(', ')}). Run npm run build:native.`);
    const folder = path.join(context.dataDir, 'runs', runFolderName(network, manifest.chain.netuid), 'validator');
    const logger = pino({ level: 'warn' }, pino.destination(2));
    // Listed shards are fetched as the peers' assignments need them; otherwise they are on this machine.
    const openS3 = await runBucketClients(manifest, context.manifestOwner, chain).catch((error: Error) => {
      throw new CliError(`cannot reach the run's data: ${error.message}`);
    });
    const listed =
      typeof manifest.data.shards === 'string' ? null : new ListedShards({ manifest, peerId: 'validator', cacheDir: shardCacheDir(context.dataDir), capBytes: null, logger, ...(openS3 ? { openS3 } : {}) });
    const shards = listed ? undefined : localShards(manifest, { dataDir: context.dataDir, trainerExecutable: layout.trainerExecutable, corpusDir: layout.devnetCorpus });
    const checkpointFile = path.join(folder, 'trainer.safetensors');
    // The validator holds the global model: from the run's initial weights too, when it names some.
    if (await placeInitialWeights(manifest, checkpointFile, { ...(openS3 ? { openS3 } : {}), logger }).catch((error: Error) => Promise.reject(new CliError(error.message)))) {
      io.stdout(`Downloaded the run's initial weights (${manifest.checkpoints.initial?.url}).\n`);
    }
    // The run's checkpoints go into this validator's bucket when the manifest names it their publisher.
    let publishing: Parameters<typeof createValidatorRuntime>[0]['publishing'];
    if (manifest.checkpoints.publisher === hotkey.address) {
      const bucket = await savedBucket(headlessAppPaths(), options.storagePassphraseEnv);
      if (!bucket) throw new CliError(`the run names this hotkey as its checkpoint publisher: save a bucket first (tandem storage set), then give --storage-passphrase-env <VAR>`);
      const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
      publishing = { storage: { write: new S3Storage({ ...location, ...bucket.write }), read: { ...location, ...bucket.read } }, checkpointFile };
    }
    let validated = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    runtime = await createValidatorRuntime({
      manifest,
      chain,
      hotkey,
      trainer: runTrainer({ manifest, executable: layout.trainerExecutable, ...(shards ? { dataDir: shards } : {}), checkpointFile, peerId: 'validator', logger }),
      ...(listed ? { data: { shardsOf: (peerId: string, window: number) => listed.shardsOf(peerId, window) } } : {}),
      folder,
      logger,
      ...(publishing ? { publishing } : {}),
      onValidated: (report) => {
        io.stdout(formatReport(report));
        if (!report.unjudged) validated++;
        if (windows !== null && validated >= windows) finish();
      },
    });
    io.stdout(`Validating subnet ${manifest.chain.netuid} on ${network} as uid ${runtime.uid} (${hotkey.address})${windows === null ? ' until Ctrl-C' : `, ${windows} windows`}.\n`);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    await finished;
    process.off('SIGINT', finish);
    process.off('SIGTERM', finish);
    io.stdout(renderRatings(runtime.ratings));
    return 0;
  } catch (error) {
    io.stderr(`tandem validator: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await runtime?.close();
    await context?.chain.close();
  }
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${text}"`);
  return n;
}

export function registerValidator(program: Command): void {
  const validator = program.command('validator').description('the devnet validator: Gauntlet scores, OpenSkill ratings and weights');
  const io: ValidatorIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  validator
    .command('run', { isDefault: true })
    .description('run the local devnet with its validator in the foreground (stop the app first: they share the devnet folder)')
    .option('--dir <folder>', 'devnet folder (default: the app\u2019s, <data>/devnet)')
    .option('--adversaries <kinds>', `add cheating peers, comma-separated: ${ADVERSARY_KINDS.join(', ')}`)
    .option('--windows <n>', 'stop after validating n windows (default: run until Ctrl-C)')
    .option('--eval-peers <n>', 'peers whose loss is evaluated per window')
    .option('--network <url>', 'validate a run on this network instead of the local devnet (with --manifest and --wallet)')
    .option('--manifest <file|url>', 'the run to validate (its manifest, a file or an http(s) or s3:// URL)')
    .option('--netuid <n>', 'the run\u2019s subnet: without --manifest, its run is found through the owner\u2019s commitment on chain')
    .option('--run-owner <hotkey>', 'the run owner\u2019s hotkey (SS58): the manifest must carry its signature (default: the subnet\u2019s owner)')
    .option('--wallet <name>', 'the wallet whose hotkey validates (registered, with stake for a permit)')
    .option('--hotkey-passphrase-env <VAR>', 'read the hotkey passphrase from this environment variable')
    .option('--storage-passphrase-env <VAR>', 'the passphrase of the bucket saved with tandem storage set (a run\u2019s checkpoint publisher publishes there)')
    .action(async (options: RunOptions) => {
      process.exitCode = await runValidator(options, io);
    });
  validator
    .command('ratings')
    .description('print the validator\u2019s saved ratings, penalties and weights')
    .option('--dir <folder>', 'devnet folder (default: the app\u2019s, <data>/devnet)')
    .action(async (options: { dir?: string }) => {
      process.exitCode = await runValidatorRatings(options, io);
    });
}
