import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomically } from '../../../platform/atomic-file';
import { packageInfo } from '../../../platform/package-info';
import { isManifestUrl, loadManifest } from '../../../services/run/load-manifest';
import { incompatibilityWith } from '../../../services/run/run-compatibility';
import { signManifest, type VerifiedManifest } from '../../../services/run/signed-manifest';
import { parseNetuid } from '../parse';
import { CliError, withCliErrors } from '../run-context';
import { openRunChain, parseOrExplain, readManifestJson, unlockOwnerHotkey, withGenesis, type SignOptions } from '../run-owner';
import { runCreate, type CreateOptions } from './run-create';

interface InspectOptions {
  network?: string;
  netuid?: number;
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
  const { source, raw } = await readManifestJson(file);
  const manifest = parseOrExplain(raw, source);
  const chain = await openRunChain(manifest, source);
  const genesis = chain.genesisHash();
  await chain.close();
  const toSign = withGenesis(raw, genesis);
  const { signer, wallets } = await unlockOwnerHotkey(options);
  const signed = await signManifest(toSign, signer, source);
  await wallets.lock();
  const target_ = path.resolve(options.out ?? source.replace(/(\.json)?$/, '.signed.json'));
  await writeFileAtomically(target_, `${JSON.stringify(signed, null, 2)}\n`);
  out(`Signed ${manifest.name} as its owner ${signer.address} (chain genesis ${genesis}).`);
  out(`Wrote ${target_}. Publish it (any https URL, or your bucket), then peers join with:`);
  out(`  tandem start --network ${manifest.chain.network} --manifest <its URL> --run-owner ${signer.address}`);
  return 0;
}

/** `tandem run inspect <file|url>` (or `--network N --netuid S`): a published run, checked as Join checks it, in words or JSON. */
export async function runInspect(source: string | undefined, options: InspectOptions, out: (line: string) => void): Promise<number> {
  const where = source === undefined ? null : isManifestUrl(source) ? source : path.resolve(source);
  const fromChain = where === null || /^s3:/i.test(where);
  if (fromChain && !options.network) throw new CliError('a run found on chain (no manifest, or an s3:// one) needs its network: --network <name|url> --netuid <subnet>');
  // The network check needs a network: the one named, else the one the manifest says it is on.
  let verified: VerifiedManifest;
  try {
    const network = options.network ?? (await networkNamedIn(where as string));
    verified = await loadManifest(where, { network, owner: options.runOwner ?? null, netuid: options.netuid ?? null });
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
  out(`  checkpoints every ${m.checkpoints.everyWindows} windows, ${m.checkpoints.keep} kept${m.checkpoints.publisher ? `, published by ${m.checkpoints.publisher}` : ''}`);
  out(`  starts    ${m.checkpoints.initial ? `from the weights at ${m.checkpoints.initial.url} (${formatGB(m.checkpoints.initial.bytes)}, sha256 ${m.checkpoints.initial.sha256.slice(0, 16)}…)` : 'from the model\u2019s seeded initialisation'}`);
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
    .command('create <manifest>')
    .description('publish a run from its owner\u2019s machine: upload its shards to your bucket (tandem storage set), list them in the manifest, sign it, and publish your bucket\u2019s read key on chain')
    .option('--shards <folder>', 'a folder of token shards (.bin or .npy; names with "val" are validation shards) to upload and list')
    .option('--initial <checkpoint>', 'the weights every peer starts from: a trainer checkpoint (.safetensors) of the run\u2019s model holding no window yet (default: the model\u2019s seeded initialisation)')
    .option('--out <file>', 'where the signed manifest goes (default: <manifest>.signed.json)')
    .option('--wallet <name>', 'the owner\u2019s wallet (default: the active one)')
    .option('--hotkey-passphrase-env <VAR>', 'read the hotkey passphrase from this environment variable')
    .option('--storage-passphrase-env <VAR>', 'the passphrase of the bucket saved with tandem storage set')
    .action((file: string, options: CreateOptions) => withCliErrors((out) => runCreate(file, options, out)));
  run
    .command('inspect [manifest]')
    .description('read a run manifest (a file, an http(s) or s3:// URL, or none: the run of --netuid found on chain), check its signature, and say whether this app can join it')
    .option('--network <name|url>', 'the network you would join it on (default: the one it names)')
    .option('--netuid <n>', 'the run\u2019s subnet: with no manifest, it is found through its owner\u2019s commitment on chain', parseNetuid)
    .option('--run-owner <hotkey>', 'the owner\u2019s hotkey (SS58) it must be signed by (default for a run found on chain: the subnet\u2019s owner)')
    .option('--json', 'print JSON')
    .action((source: string | undefined, options: InspectOptions) => withCliErrors((out) => runInspect(source, options, out)));
}
