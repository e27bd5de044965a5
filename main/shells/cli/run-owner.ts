import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChainSigner } from '../../ports/chain-port';
import { resolveTarget } from '../../adapters/subtensor/networks';
import { SubtensorChain } from '../../adapters/subtensor/subtensor-chain';
import { ConfigStore } from '../../core/config/config-store';
import { headlessAppPaths } from '../../platform/app-paths';
import { ManifestError, parseManifest, type RunManifest } from '../../ports/run-manifest';
import { wrongChain } from '../../services/run/run-compatibility';
import { WalletService } from '../../services/wallet/wallet-service';
import { CliError } from './run-context';
import { readSecret, terminalSecretSource } from './secret-input';

/** What publishing a run needs from its owner, shared by `tandem run sign` and `tandem run create`. */

export interface SignOptions {
  out?: string;
  wallet?: string;
  hotkeyPassphraseEnv?: string;
}

/** A manifest file as its owner wrote it (JSON), before any check. */
export async function readManifestJson(file: string): Promise<{ source: string; raw: Record<string, unknown> }> {
  const source = path.resolve(file);
  try {
    return { source, raw: JSON.parse(await fs.readFile(source, 'utf8')) as Record<string, unknown> };
  } catch (error) {
    throw new CliError(`${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The chain a run manifest names, opened, after checking the genesis hash it may already carry. */
export async function openRunChain(manifest: RunManifest, source: string): Promise<SubtensorChain> {
  const target = resolveTarget(manifest.chain.network);
  if (target.kind !== 'subtensor') throw new CliError(`${source}: a run on ${manifest.chain.network} is not published (the embedded devnet signs its own run); name the chain it runs on`);
  const chain = await SubtensorChain.open({ name: target.name, endpoint: target.url }).catch((error: unknown) => {
    throw new CliError(`cannot reach ${target.url} to read its genesis hash: ${(error as Error).message}`);
  });
  const otherChain = wrongChain(manifest, chain.genesisHash(), target.url);
  if (otherChain) {
    await chain.close();
    throw new CliError(`${source}: ${otherChain}`);
  }
  return chain;
}

/** The manifest as written, with the chain's genesis hash: what the owner signs. */
export function withGenesis(raw: Record<string, unknown>, genesis: string): Record<string, unknown> {
  return { ...raw, chain: { ...(raw['chain'] as Record<string, unknown>), genesisHash: genesis } };
}

/** The owner's hotkey (its wallet's first), unlocked with the passphrase from the named variable or typed. */
export async function unlockOwnerHotkey(options: SignOptions): Promise<{ signer: ChainSigner; wallets: WalletService }> {
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
  return { signer, wallets };
}

export function parseOrExplain(raw: unknown, source: string): RunManifest {
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
