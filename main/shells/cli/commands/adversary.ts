import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { ADVERSARY_DESCRIPTIONS, ADVERSARY_KINDS, adversarialParts, adversarySamplerId, parseAdversaryKinds, type AdversaryKind } from '../../../devnet/adversaries/adversary-kinds';
import { ColludingPair } from '../../../devnet/adversaries/colluding-pair';
import { UploadWatch } from '../../../devnet/adversaries/upload-watch';
import { seededRandom } from '../../../core/seeded-random';
import { joinNetwork, runFolderName } from '../../../network/join-network';
import type { NetworkRuntime } from '../../../network/network-runtime';
import { headlessAppPaths } from '../../../platform/app-paths';
import { packageInfo } from '../../../platform/package-info';
import { missingResources, resourceLayout } from '../../../platform/resources';
import { CliError, runContext, withCliErrors, type RunContextOptions } from '../run-context';
import { savedBucket } from '../saved-bucket';

/** Victims each kind reads: the copiers copy these peers' uploads, the sync liar copies one's sync report. */
const VICTIMS_NEEDED: Partial<Record<AdversaryKind, number>> = { 'free-rider': 1, resparsifier: 1, 'noisy-copier': 1, mixer: 2, 'sync-liar': 1 };

export interface AdversaryOptions extends RunContextOptions {
  kind: string;
  victims?: string;
  seed: string;
  windows?: string;
  hotkeyPassphraseEnv?: string;
  storagePassphraseEnv?: string;
}

/** The kind, its victims and seed from the options, each mistake one line. */
export function adversaryPlan(options: Pick<AdversaryOptions, 'kind' | 'victims' | 'seed' | 'windows'>): { kind: AdversaryKind; victims: number[]; seed: number; windows: number | null } {
  const kinds = parseAdversaryKinds(options.kind);
  if (kinds.length !== 1) throw new CliError(`--kind: one kind per process (one of: ${ADVERSARY_KINDS.join(', ')})`);
  const kind = kinds[0]!;
  // The in-memory pair of the devnet is one process by design; across processes the twin is a free-rider on its worker.
  if (kind === 'colluders') throw new CliError('--kind colluders: the pair is one operator\u2019s two peers; as separate processes run the worker as an honest peer (tandem start) and its twin as --kind free-rider --victims <the worker\u2019s uid>');
  const victims = (options.victims ?? '').split(',').filter((v) => v.trim() !== '').map((v) => Number(v.trim()));
  if (victims.some((uid) => !Number.isInteger(uid) || uid < 0)) throw new CliError(`--victims ${options.victims}: uids, comma-separated`);
  const needed = VICTIMS_NEEDED[kind] ?? 0;
  if (victims.length < needed) throw new CliError(`--kind ${kind} ${ADVERSARY_DESCRIPTIONS[kind]}: name ${needed === 1 ? 'its victim' : `its ${needed} victims`} with --victims <uid${needed > 1 ? ',uid' : ''}>`);
  const seed = Number(options.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed ${options.seed}: a whole number`);
  const windows = options.windows === undefined ? null : Number(options.windows);
  if (windows !== null && !(Number.isInteger(windows) && windows >= 1)) throw new CliError(`--windows ${options.windows}: a whole number ≥ 1`);
  return { kind, victims, seed, windows };
}

/**
 * `tandem adversary --kind <kind>`: a cheating peer as a process of its own,
 * for trying a validator. It is an ordinary peer of the run (its own wallet,
 * registration, bucket and storage commitment, joined through the same code
 * as the app) with one part swapped, as on the devnet (main/devnet/adversaries,
 * main/services/validator/GAUNTLET.md). Prints a line per window it uploads,
 * runs until Ctrl-C or --windows.
 */
export async function runAdversary(options: AdversaryOptions, out: (line: string) => void): Promise<number> {
  const plan = adversaryPlan(options);
  const layout = resourceLayout({ appRoot: packageInfo().root });
  const missing = missingResources(layout);
  if (missing.length > 0) throw new CliError(`the trainer is not built (missing ${missing.join(', ')}). Run npm run build:native.`);
  const context = await runContext({ ...options, findRun: true });
  let runtime: NetworkRuntime | undefined;
  try {
    const { manifest, wallet, wallets, network } = context;
    if (!manifest) throw new CliError(`name the run on ${network}: --manifest <file|url>, or --netuid <subnet> to find it on chain`);
    const passphrase = options.hotkeyPassphraseEnv ? process.env[options.hotkeyPassphraseEnv] : undefined;
    if (!passphrase) throw new CliError('a peer signs its storage commitment with its hotkey: give its passphrase with --hotkey-passphrase-env <VAR>');
    await wallets.unlock({ name: wallet.name, hotkey: wallet.hotkeys[0]!.name, passphrase, remember: false, timeoutMinutes: 0 });
    const hotkey = wallets.hotkeySigner();
    if (!hotkey) throw new CliError('the hotkey did not unlock');
    const bucket = await savedBucket(headlessAppPaths(), options.storagePassphraseEnv);
    if (!bucket) throw new CliError('every peer uploads to its own bucket: save one first (tandem storage set)');
    // The chain is the joined runtime's; the late peer reads its block number, known once the runtime is up.
    let block = 0;
    const logger = pino({ level: 'warn' }, pino.destination(2));
    let uploads = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    runtime = await joinNetwork({
      target: network,
      manifest,
      runOwner: context.manifestOwner,
      hotkey,
      bucket,
      folder: path.join(context.dataDir, 'runs', runFolderName(network, manifest.chain.netuid)),
      dataDir: context.dataDir,
      trainerExecutable: layout.trainerExecutable,
      corpusDir: layout.devnetCorpus,
      logger,
      onState: () => {},
      samplerId: (uid) => adversarySamplerId(plan.kind, uid),
      adapt: (_uid, honest) => {
        const parts = adversarialParts(plan.kind, honest, {
          manifest,
          victimUids: plan.victims,
          peerStorage: (uid) => runtime?.directory.storageOf(uid),
          currentBlock: () => block,
          pair: new ColludingPair(),
          random: seededRandom(plan.seed),
        });
        const storage = new UploadWatch(parts.storage, (window) => {
          out(`window ${window}: uploaded as ${plan.kind}`);
          if (plan.windows !== null && ++uploads >= plan.windows) finish();
        });
        return { ...parts, storage };
      },
    });
    const unsubscribe = await runtime.chain.subscribeBlocks((b) => (block = b.number));
    await runtime.engine.join();
    out(`Cheating as ${plan.kind} (${ADVERSARY_DESCRIPTIONS[plan.kind]}) on subnet ${manifest.chain.netuid} of ${network}, uid ${runtime.uid}${plan.victims.length ? `, victims ${plan.victims.join(',')}` : ''}${plan.windows === null ? '; Ctrl-C stops' : `, ${plan.windows} windows`}.`);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    await finished;
    process.off('SIGINT', finish);
    process.off('SIGTERM', finish);
    unsubscribe();
    return 0;
  } finally {
    await runtime?.close();
    await context.chain.close();
  }
}

export function registerAdversary(program: Command): void {
  program
    .command('adversary')
    .description('run a cheating peer as a process of its own, to try a validator (its own wallet, registration and bucket, like any peer)')
    .requiredOption('--kind <kind>', `what it does: ${ADVERSARY_KINDS.filter((k) => k !== 'colluders').join(', ')}`)
    .option('--victims <uids>', 'the peers it copies (copiers; the mixer takes two) or whose sync report it copies (sync-liar), comma-separated')
    .option('--seed <n>', 'seeds its random choices (the re-sparsifier\u2019s coordinates, the noise)', '1')
    .option('--windows <n>', 'stop after uploading n windows (default: run until Ctrl-C)')
    .option('--network <url>', 'the subtensor endpoint (ws://…) of the run')
    .option('--manifest <file|url>', 'the run to join: its manifest, a file or an http(s) or s3:// URL')
    .option('--netuid <n>', 'the run\u2019s subnet: without --manifest, its run is found through the owner\u2019s commitment on chain')
    .option('--run-owner <hotkey>', 'the run owner\u2019s hotkey (SS58): the manifest must carry its signature')
    .option('--wallet <name>', 'the wallet whose hotkey it joins with (registered on the subnet)')
    .option('--hotkey-passphrase-env <VAR>', 'read the hotkey passphrase from this environment variable')
    .option('--storage-passphrase-env <VAR>', 'the passphrase of the bucket saved with tandem storage set')
    .action((options: AdversaryOptions) => withCliErrors((out) => runAdversary(options, out)));
}
