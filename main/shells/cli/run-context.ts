import path from 'node:path';
import { resolveTarget } from '../../adapters/subtensor/networks';
import { SubtensorChain } from '../../adapters/subtensor/subtensor-chain';
import { ConfigStore } from '../../core/config/config-store';
import { headlessAppPaths } from '../../platform/app-paths';
import { isManifestUrl, loadManifest } from '../../services/run/load-manifest';
import type { RunManifest } from '../../ports/run-manifest';
import { wrongChain } from '../../services/run/run-compatibility';
import { WalletService } from '../../services/wallet/wallet-service';

/** A command's error for the user: one line, exit 2. */
export class CliError extends Error {}

/** Runs a command that prints lines: its exit code, or its error in one line and exit 2. */
export function withCliErrors(action: (out: (line: string) => void) => Promise<number>): Promise<void> {
  return action((line) => console.log(line)).then(
    (code) => void (process.exitCode = code),
    (error: unknown) => {
      console.error(`tandem: ${(error as Error).message}`);
      process.exitCode = 2;
    },
  );
}

export interface RunContextOptions {
  network?: string;
  manifest?: string;
  runOwner?: string;
  netuid?: string;
  wallet?: string;
  /** With a subnet but no manifest named: find the subnet's run on chain (commands that need the run). */
  findRun?: boolean;
}

interface RunContextMaybeWallet {
  network: string;
  netuid: number;
  manifest: RunManifest | null;
  manifestOwner: string | null;
  dataDir: string;
  wallet: Awaited<ReturnType<WalletService['activeWallet']>>;
  hotkey: string | null;
  wallets: WalletService;
  chain: SubtensorChain;
}

export interface RunContext extends RunContextMaybeWallet {
  wallet: NonNullable<RunContextMaybeWallet['wallet']>;
  hotkey: string;
}

/**
 * The network, run and wallet a command acts on: its options, else the
 * config (network, the run's manifest, the data folder), then a connection
 * to that network's chain. Each gap is a CliError saying what to give.
 */
export async function runContext(options: RunContextOptions & { walletOptional?: false }): Promise<RunContext>;
/** The same, for a command that also works before any wallet exists (the fit test): wallet and hotkey may be null. */
export async function runContext(options: RunContextOptions & { walletOptional: true }): Promise<RunContextMaybeWallet>;
export async function runContext(options: RunContextOptions & { walletOptional?: boolean }): Promise<RunContextMaybeWallet> {
  const paths = headlessAppPaths();
  const config = (await ConfigStore.load(paths.configFile)).value;
  const dataDir = config.dataDir ?? paths.dataDir;
  const network = options.network ?? config.network;
  if (network === 'devnet') throw new CliError('the embedded devnet registers this machine by itself when you join; for a served devnet give its URL: --network ws://host:port');
  const resolved = resolveTarget(network);
  if (resolved.kind !== 'subtensor') throw new CliError(`${network} is not a subtensor network`);
  // A run named on the command line replaces the configured one whole; the configured one is for its own network only.
  const named = options.manifest !== undefined || options.netuid !== undefined;
  const configured = !named && network === config.network;
  const source = options.manifest ? (isManifestUrl(options.manifest) ? options.manifest : path.resolve(options.manifest)) : configured ? config.manifest : null;
  const namedNetuid = options.netuid !== undefined ? Number(options.netuid) : configured ? config.netuid : null;
  if (namedNetuid !== null && !(Number.isInteger(namedNetuid) && namedNetuid >= 0 && namedNetuid <= 65535)) throw new CliError(`--netuid ${options.netuid}: a subnet is a whole number from 0 to 65535`);
  const owner = options.runOwner ?? (configured ? config.runOwner : null);
  let manifest: RunManifest | null;
  /** The hotkey whose signature on the manifest was checked; null for an unsigned file. */
  let manifestOwner: string | null;
  try {
    // A run named by its subnet alone is found on chain, by the commands that need it (findRun).
    const verified = source || (options.findRun && namedNetuid !== null) ? await loadManifest(source, { network, owner, netuid: namedNetuid }) : null;
    manifest = verified?.manifest ?? null;
    manifestOwner = verified?.owner ?? null;
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const netuid = namedNetuid ?? manifest?.chain.netuid ?? resolved.netuid;
  if (netuid === null || !Number.isInteger(netuid) || netuid < 0) throw new CliError(`which subnet? give the run's --manifest <file|url> (or --netuid <n>) for ${network}`);
  const wallets = new WalletService({ root: path.join(dataDir, 'wallets') });
  const wallet = (options.wallet ? (await wallets.status()).wallets.find((w) => w.name === options.wallet) : await wallets.activeWallet()) ?? null;
  if (!wallet && (options.wallet || !options.walletOptional)) throw new CliError(options.wallet ? `no wallet named ${options.wallet} (tandem wallet list)` : 'no wallet yet: tandem wallet create <name> or tandem wallet import <name>');
  const hotkey = wallet?.hotkeys[0]?.address ?? null;
  if (wallet && !hotkey) throw new CliError(`wallet ${wallet.name} has no hotkey`);
  const chain = await SubtensorChain.open({ name: resolved.name, endpoint: resolved.url }).catch((error: unknown) => {
    throw new CliError(`cannot reach ${resolved.url}: ${(error as Error).message}`);
  });
  const otherChain = manifest ? wrongChain(manifest, chain.genesisHash(), resolved.url) : null;
  if (otherChain) {
    await chain.close();
    throw new CliError(otherChain);
  }
  return { network, netuid, manifest, manifestOwner, dataDir, wallet, hotkey, wallets, chain };
}
