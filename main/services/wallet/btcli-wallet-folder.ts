import fs from 'node:fs/promises';
import path from 'node:path';
import { decryptKeyfile, parseKeyfileJson } from './btcli-keyfile';
import { WalletError } from './errors';
import { addressFromPublicKeyfile, encryptToKeystore, generateMnemonic, pairFromBtcliKeyfile, pairFromMnemonic, type KeyringPair } from './keys';
import { checkName } from './wallet-store';

/** A btcli wallet folder's keys, the hotkeys already re-encrypted into Tandem keystores. */
export interface BtcliWallet {
  /** Null when the folder holds only coldkeypub.txt (a watch-only wallet). */
  coldkey: KeyringPair | null;
  coldkeyAddress: string;
  hotkeys: Array<{ name: string; json: ReturnType<typeof encryptToKeystore> }>;
  /** What was not imported, and why (a user reads it). */
  skipped: string[];
}

/**
 * Reads a btcli wallet folder: `coldkey` ($NACL, Ansible Vault, legacy
 * Fernet or plain), else `coldkeypub.txt` alone (watch-only), and every
 * `hotkeys/<name>` that holds a secret; a folder without an importable hotkey
 * gets a new one, "default", since mining needs one. The btcli files are only
 * read. Every key pair opened is pushed onto `pairs`, so that the caller locks
 * them all whatever happens after.
 */
export async function readBtcliWallet(
  input: { name: string; folder: string; btcliPassword?: string | undefined; hotkeyPassphrase: string },
  pairs: KeyringPair[],
): Promise<BtcliWallet> {
  const folder = path.resolve(input.folder);
  const coldkeyBytes = await readIfExists(path.join(folder, 'coldkey'));
  const pubBytes = await readIfExists(path.join(folder, 'coldkeypub.txt'));
  if (!coldkeyBytes && !pubBytes) throw new WalletError('NOT_FOUND', `${folder} is not a btcli wallet folder: it has neither coldkey nor coldkeypub.txt`);

  let coldkey: KeyringPair | null = null;
  let coldkeyAddress: string;
  if (coldkeyBytes) {
    const plain = await decryptKeyfile(coldkeyBytes, input.btcliPassword);
    coldkey = pairFromBtcliKeyfile(parseKeyfileJson(plain), `${input.name} coldkey`);
    pairs.push(coldkey);
    coldkeyAddress = coldkey.address;
    if (pubBytes) {
      const stated = addressFromPublicKeyfile(parseKeyfileJson(pubBytes));
      if (stated !== coldkeyAddress) throw new WalletError('MISMATCH', `coldkeypub.txt says ${stated} but the coldkey is ${coldkeyAddress}`);
    }
  } else {
    coldkeyAddress = addressFromPublicKeyfile(parseKeyfileJson(pubBytes as Uint8Array));
  }

  const hotkeys: BtcliWallet['hotkeys'] = [];
  const skipped: string[] = [];
  const hotkeyDir = path.join(folder, 'hotkeys');
  const entries = await fs.readdir(hotkeyDir).catch(() => [] as string[]);
  for (const entry of entries.sort()) {
    if (entry.endsWith('pub.txt') || entry.startsWith('.')) continue;
    try {
      checkName('hotkey', entry);
      const bytes = await fs.readFile(path.join(hotkeyDir, entry));
      const plain = await decryptKeyfile(bytes, input.btcliPassword);
      const pair = pairFromBtcliKeyfile(parseKeyfileJson(plain), `${input.name}/${entry}`);
      pairs.push(pair);
      hotkeys.push({ name: entry, json: encryptToKeystore(pair, input.hotkeyPassphrase) });
    } catch (error) {
      skipped.push(`hotkeys/${entry}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (hotkeys.length === 0) {
    const fresh = pairFromMnemonic(generateMnemonic(12), `${input.name}/default`);
    pairs.push(fresh);
    hotkeys.push({ name: 'default', json: encryptToKeystore(fresh, input.hotkeyPassphrase) });
    skipped.push('no importable hotkey: created a new hotkey "default"');
  }
  return { coldkey, coldkeyAddress, hotkeys, skipped };
}

async function readIfExists(file: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
