import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { headlessAppPaths } from '../../../platform/app-paths';
import { readNewPassphrase, readSecret, terminalSecretSource } from '../secret-input';
import { writeNewFile } from '../../../services/wallet/wallet-store';
import { WalletError } from '../../../services/wallet/errors';
import { WalletService } from '../../../services/wallet/wallet-service';

/**
 * `tandem wallet create|import|list|export`. Passphrases are typed without
 * echo, or read from an environment variable for scripts (named with
 * --*-passphrase-env, so the secret itself is never on the command line).
 */
export function registerWallet(program: Command): void {
  const wallet = program.command('wallet').description('create, import, list or export the keys of this machine');

  wallet
    .command('create')
    .description('create a coldkey and hotkey; the recovery phrase is shown once')
    .argument('<name>', 'wallet name (letters, digits, - and _)')
    .option('--words <n>', '12 or 24 words', '12')
    .option('--hotkey <name>', 'hotkey name', 'default')
    .option('--coldkey-passphrase-env <VAR>', 'read the coldkey passphrase from this environment variable')
    .option('--hotkey-passphrase-env <VAR>', 'read the hotkey passphrase from this environment variable')
    .action(async (name: string, options: { words: string; hotkey: string; coldkeyPassphraseEnv?: string; hotkeyPassphraseEnv?: string }) => {
      const words = options.words === '24' ? 24 : options.words === '12' ? 12 : fail('--words must be 12 or 24');
      const service = walletService();
      warnIfRemote(service);
      const coldkeyPassphrase = await newPassphrase('coldkey', options.coldkeyPassphraseEnv);
      const hotkeyPassphrase = await newPassphrase('hotkey', options.hotkeyPassphraseEnv);
      await run(async () => {
        const created = await service.create({ name, words, coldkeyPassphrase, hotkeyPassphrase, hotkeyName: options.hotkey });
        const phrase = service.reveal(created.revealToken);
        console.log(`Created wallet "${name}".`);
        console.log(`  coldkey ${created.record.coldkeyAddress}`);
        console.log(`  hotkey  ${created.record.hotkeys[0]?.address}`);
        console.log('');
        console.log('Recovery phrase of the coldkey. Write it down on paper now; it is shown this once and stored nowhere:');
        console.log('');
        console.log(`  ${phrase.join(' ')}`);
        console.log('');
      });
    });

  wallet
    .command('import')
    .description('import a coldkey from a recovery phrase, a raw seed, or a btcli wallet folder')
    .argument('<name>', 'wallet name for Tandem')
    .option('--mnemonic', 'type the coldkey recovery phrase (no echo)')
    .option('--seed', 'type the coldkey seed, 32 bytes of hex (no echo)')
    .option('--btcli <folder>', 'a btcli wallet folder, e.g. ~/.bittensor/wallets/default')
    .option('--secret-env <VAR>', 'read the phrase or seed from this environment variable instead of typing it')
    .option('--btcli-password-env <VAR>', 'read the btcli coldkey password from this environment variable')
    .option('--coldkey-passphrase-env <VAR>', 'read the new coldkey passphrase from this environment variable')
    .option('--hotkey-passphrase-env <VAR>', 'read the new hotkey passphrase from this environment variable')
    .action(
      async (
        name: string,
        options: { mnemonic?: boolean; seed?: boolean; btcli?: string; secretEnv?: string; btcliPasswordEnv?: string; coldkeyPassphraseEnv?: string; hotkeyPassphraseEnv?: string },
      ) => {
        const chosen = [options.mnemonic, options.seed, options.btcli !== undefined].filter(Boolean).length;
        if (chosen !== 1) fail('choose exactly one of --mnemonic, --seed or --btcli <folder>');
        const service = walletService();
        warnIfRemote(service);
        if (options.btcli !== undefined) {
          const folder = options.btcli.replace(/^~(?=$|\/)/, process.env['HOME'] ?? '~');
          const encrypted = await fs
            .readFile(path.join(folder, 'coldkey'))
            .then((b) => !b.subarray(0, 1).equals(Buffer.from('{')))
            .catch(() => false);
          const btcliPassword = encrypted ? await secret('btcli password of the coldkey', options.btcliPasswordEnv) : undefined;
          const coldkeyPassphrase = await newPassphrase('coldkey (Tandem)', options.coldkeyPassphraseEnv);
          const hotkeyPassphrase = await newPassphrase('hotkey (Tandem)', options.hotkeyPassphraseEnv);
          await run(async () => {
            if (encrypted) console.log('Opening the coldkey (btcli uses a slow key derivation: a few seconds)…');
            const { record, skipped } = await service.importBtcli({ name, folder, btcliPassword, coldkeyPassphrase, hotkeyPassphrase });
            printRecord(record);
            for (const line of skipped) console.log(`  skipped ${line}`);
          });
          return;
        }
        const kind = options.mnemonic ? 'mnemonic' : 'seed';
        const material = (await secret(kind === 'mnemonic' ? 'recovery phrase' : 'seed (hex)', options.secretEnv)).trim();
        const coldkeyPassphrase = await newPassphrase('coldkey', options.coldkeyPassphraseEnv);
        const hotkeyPassphrase = await newPassphrase('hotkey', options.hotkeyPassphraseEnv);
        await run(async () => {
          const record = await service.importKeys({
            name,
            coldkey: kind === 'mnemonic' ? { kind, mnemonic: material } : { kind, seed: material },
            coldkeyPassphrase,
            hotkeyPassphrase,
            hotkeyName: 'default',
          });
          printRecord(record);
        });
      },
    );

  wallet
    .command('list')
    .description('list wallets and their addresses (no passphrase needed)')
    .action(async () => {
      const wallets = await walletService().store.list();
      if (wallets.length === 0) console.log('No wallets yet. Create one with `tandem wallet create <name>` or import one.');
      for (const record of wallets) printRecord(record);
    });

  wallet
    .command('export')
    .description('write a key as a polkadot JSON keystore (still encrypted with its passphrase)')
    .argument('<name>', 'wallet name')
    .argument('<file>', 'where to write the JSON (must not exist)')
    .option('--hotkey <name>', 'export this hotkey instead of the coldkey')
    .option('--passphrase-env <VAR>', 'read the key passphrase from this environment variable')
    .action(async (name: string, file: string, options: { hotkey?: string; passphraseEnv?: string }) => {
      const service = walletService();
      const key = options.hotkey ? 'hotkey' : 'coldkey';
      const passphrase = await secret(`${key} passphrase`, options.passphraseEnv);
      await run(async () => {
        const json = await service.exportKeystore(name, key, options.hotkey ?? 'default', passphrase);
        await writeNewFile(path.resolve(file), json);
        console.log(`Wrote ${key} of "${name}" to ${path.resolve(file)} (0600; it opens in polkadot.js apps and btcli regen with the same passphrase).`);
      });
    });
}

function walletService(): WalletService {
  return new WalletService({ root: path.join(headlessAppPaths().dataDir, 'wallets') });
}

function printRecord(record: { name: string; coldkeyAddress: string; coldkeyWatchOnly: boolean; hotkeys: Array<{ name: string; address: string }>; backedUp: boolean }): void {
  console.log(`${record.name}${record.coldkeyWatchOnly ? ' (watch-only coldkey)' : ''}${record.backedUp ? '' : ' — recovery phrase not confirmed as backed up'}`);
  console.log(`  coldkey ${record.coldkeyAddress}`);
  for (const hotkey of record.hotkeys) console.log(`  hotkey  ${hotkey.address} (${hotkey.name})`);
}

function warnIfRemote(service: WalletService): void {
  const warnings = service.machineWarnings();
  if (warnings.length === 0) return;
  console.error('Warning: this machine looks rented, remote or virtual; keep your coldkey somewhere else if you can.');
  for (const w of warnings) console.error(`  - ${w.detail}`);
}

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof WalletError) fail(error.message);
    throw error;
  }
}

function fail(message: string): never {
  console.error(`wallet: ${message}`);
  process.exit(2);
}

async function secret(label: string, envVar: string | undefined): Promise<string> {
  return readSecret(terminalSecretSource(), label, envVar).catch((error: Error) => fail(error.message));
}

async function newPassphrase(label: string, envVar: string | undefined): Promise<string> {
  return readNewPassphrase(terminalSecretSource(), label, envVar, 'nothing was created').catch((error: Error) => fail(error.message));
}
