import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveTarget } from '../../chain/networks';
import { SubtensorChain } from '../../chain/subtensor/subtensor-chain';
import { ConfigStore } from '../../config/config-store';
import { headlessAppPaths } from '../../platform/app-paths';
import { writeFileAtomically } from '../../platform/atomic-file';
import { packageInfo } from '../../platform/package-info';
import { isManifestUrl, loadManifest } from '../../run/load-manifest';
import { ManifestError, parseManifest, type RunManifest } from '../../run/manifest';
import { incompatibilityWith, wrongChain } from '../../run/run-compatibility';
import { signManifest, type VerifiedManifest } from '../../run/signed-manifest';
import { WalletService } from '../../wallet/wallet-service';
import { readSecret, terminalSecretSource } from '../secret-input';
import { CliError, withCliErrors } from '../run-context';

interface SignOptions {
  out?: string;
  wallet?: string;
  hotkeyPassphraseEnv?: string;
}

interface InspectOptions {
  network?: string;
  runOwner?: string;
  json?: boolean;
}

/**
 * `tandem run sign <manifest.json>`: the run owner's signature on a manifest,
 * after filling in the genesis hash of the chain it names (read from that
 * chain, or checked against it when the file already has one), so the run
 * can only be joined on that chain.
 */
export async function runSign(file: string, options: SignOptions, out: (line: string) => void): Promise<number> {
  const source = path.resolve(file);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await fs.readFile(source, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const manifest = parseOrExplain(raw, source);
  const target = resolveTarget(manifest.chain.network);
  if (target.kind !== 'subtensor') throw new CliError(`${source}: a run on ${manifest.chain.network} is not published (the embedded devnet signs its own run); name the chain it runs on`);
  const chain = await SubtensorChain.open({ name: target.name, endpoint: target.url }).catch((error: unknown) => {
    throw new CliError(`cannot reach ${target.url} to read its genesis hash: ${(error as Error).message}`);
  });
  let genesis: string;
  try {
    genesis = chain.genesisHash();
  } finally {
    await chain.close();
  }
  const otherChain = wrongChain(manifest, genesis, target.url);
  if (otherChain) throw new CliError(`${source}: ${otherChain}`);
  const chainSection = raw['chain'] as Record<string, unknown>;
  const toSign = { ...raw, chain: { ...chainSection, genesisHash: genesis } };

  const paths = headlessAppPaths();
  const config = (await ConfigStore.load(paths.configFile)).value;
  const wallets = new WalletService({ root: path.join(config.dataDir ?? paths.dataDir, 'wallets') });
  const wallet = options.wallet ? (await wallets.status()).wallets.find((w) => w.name === options.wallet) : await wallets.activeWallet();
  if (!wallet) throw new CliError(options.wallet ? `no wallet named ${options.wallet} (tandem wallet list)` : 'no wallet yet: tandem wallet create <name> or tandem wallet import <name>');
  const hotkey = wallet.hotkeys[0];
  if (!hotkey) throw new CliError(`wallet ${wallet.name} has no hotkey`);
  const passphrase = await hotkeyPassphrase(options);
  await wallets.unlock({ name: wallet.name, hotkey: hotkey.name, passphrase, remember: false, timeoutMinutes: 0 });
  const signer = wallets.hotkeySigner();
  if (!signer) throw new CliError('the hotkey did not unlock');
  const signed = await signManifest(toSign, signer, source);
  await wallets.lock();
  const target_ = path.resolve(options.out ?? source.replace(/(\.json)?$/, '.signed.json'));
  await writeFileAtomically(target_, `${JSON.stringify(signed, null, 2)}\n`);
  out(`Signed ${manifest.name} as its owner ${signer.address} (chain genesis ${genesis}).`);
  out(`Wrote ${target_}. Publish it (any https URL, or your bucket), then peers join with:`);
  out(`  tandem start --network ${manifest.chain.network} --manifest <its URL> --run-owner ${signer.address}`);
  return 0;
}

/** `tandem run inspect <file|url>`: a published run, checked as Join checks it, in words or JSON. */
export async function runInspect(source: string, options: InspectOptions, out: (line: string) => void): Promise<number> {
  const where = isManifestUrl(source) ? source : path.resolve(source);
  // The network check needs a network: the one named, else the one the manifest says it is on.
  let verified: VerifiedManifest;
  try {
    verified = await loadManifest(where, { network: options.network ?? (await networkNamedIn(where)), owner: options.runOwner ?? null });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const m = verified.manifest;
  const problem = incompatibilityWith(m, { version: packageInfo().version });
  if (options.json) {
    out(JSON.stringify({ source: verified.source, owner: verified.owner, digest: verified.digest, compatible: problem === null, problem, manifest: m }));
    return problem ? 1 : 0;
  }
  const shards = m.data.shards;
  out(`${m.name}: ${verified.owner ? `signed by ${verified.owner} (signature checked)` : 'unsigned (a file on this machine)'}`);
  out(`  source    ${verified.source}`);
  out(`  digest    sha256 ${verified.digest}`);
  out(`  chain     ${m.chain.network}, subnet ${m.chain.netuid}${m.chain.genesisHash ? `, genesis ${m.chain.genesisHash}` : ''}`);
  out(`  model     ${m.model.layers} layers, hidden ${m.model.hiddenSize}, ${m.model.heads} heads, vocabulary ${m.model.vocabSize}, sequence ${m.model.sequenceLength}`);
  out(`  data      ${typeof shards === 'string' ? shards : `${shards.length} shards, ${formatGB(shards.reduce((n, s) => n + s.bytes, 0))}, ${m.data.shardsPerPeer} per peer each window`} (${m.data.tokenizer} tokens)`);
  out(`  windows   ${m.windows.blocksPerWindow} blocks, ${m.sparseloco.innerSteps} inner steps, top ${m.sparseloco.topK} of ${m.sparseloco.chunkSize}`);
  out(`  checkpoints every ${m.checkpoints.everyWindows} windows, ${m.checkpoints.keep} kept`);
  out(`  this app  ${problem ?? `can join (Tandem ${packageInfo().version}${m.minTandemVersion ? `, run needs ${m.minTandemVersion}` : ''}, payload format ${m.payloadFormat})`}`);
  return problem ? 1 : 0;
}

async function networkNamedIn(source: string): Promise<string> {
  // Read once for its network only; loadManifest reads it again and checks everything.
  try {
    const text = isManifestUrl(source) ? await (await fetch(source, { signal: AbortSignal.timeout(20_000) })).text() : await fs.readFile(source, 'utf8');
    const raw = JSON.parse(text) as { manifest?: { chain?: { network?: unknown } }; chain?: { network?: unknown } };
    const network = raw.manifest?.chain?.network ?? raw.chain?.network;
    if (typeof network === 'string') return network;
  } catch {
    // loadManifest names the problem.
  }
  return 'devnet';
}

function parseOrExplain(raw: unknown, source: string): RunManifest {
  try {
    return parseManifest(raw, source);
  } catch (error) {
    if (error instanceof ManifestError) throw new CliError(error.message);
    throw error;
  }
}

async function hotkeyPassphrase(options: SignOptions): Promise<string> {
  // From the variable the option names, else typed without echo; a gap is the user's to fix, said in one line.
  return readSecret(terminalSecretSource(), 'hotkey passphrase', options.hotkeyPassphraseEnv).catch((error: Error) => {
    throw new CliError(error.message);
  });
}

function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export function registerRun(program: Command): void {
  const run = program.command('run').description('publish a run (sign its manifest) or check one before joining');
  run
    .command('sign <manifest>')
    .description('sign a run manifest with your hotkey as the run\u2019s owner, after adding its chain\u2019s genesis hash')
    .option('--out <file>', 'where the signed manifest goes (default: <manifest>.signed.json)')
    .option('--wallet <name>', 'the owner\u2019s wallet (default: the active one)')
    .option('--hotkey-passphrase-env <VAR>', 'read the hotkey passphrase from this environment variable')
    .action((file: string, options: SignOptions) => withCliErrors((out) => runSign(file, options, out)));
  run
    .command('inspect <manifest>')
    .description('read a run manifest (a file or an http(s) URL), check its signature, and say whether this app can join it')
    .option('--network <name|url>', 'the network you would join it on (default: the one it names)')
    .option('--run-owner <hotkey>', 'the owner\u2019s hotkey (SS58) it must be signed by')
    .option('--json', 'print JSON')
    .action((source: string, options: InspectOptions) => withCliErrors((out) => runInspect(source, options, out)));
}
