import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import { WalletError } from './errors';
import { parseKeystore, type KeyringPair$Json } from './keys';

/**
 * Wallets on disk, one folder each:
 *
 *   <root>/<wallet>/wallet.json          public facts: addresses, source, backup flag
 *   <root>/<wallet>/coldkey.json         polkadot JSON keystore (scrypt + xsalsa20-poly1305)
 *   <root>/<wallet>/hotkeys/<name>.json  same, one per hotkey
 *
 * Folders are 0700 and files 0600. A new key file never replaces an existing
 * one (it is linked into place, which fails when the name is taken); a
 * rewrite (new passphrase) goes through the atomic temp-file-and-rename, so a
 * crash leaves the old keystore or the new one, never a torn file.
 */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface WalletRecord {
  version: 1;
  name: string;
  coldkeyAddress: string;
  coldkeyWatchOnly: boolean;
  hotkeys: Array<{ name: string; address: string }>;
  source: 'created' | 'mnemonic' | 'seed' | 'btcli' | 'json';
  createdAt: number;
  backedUp: boolean;
}

export function checkName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) throw new WalletError('BAD_INPUT', `${kind} name "${name}" is not allowed: use 1 to 32 letters, digits, "-" or "_"`);
}

export class WalletStore {
  constructor(readonly root: string) {}

  dir(wallet: string): string {
    checkName('wallet', wallet);
    return path.join(this.root, wallet);
  }
  coldkeyFile(wallet: string): string {
    return path.join(this.dir(wallet), 'coldkey.json');
  }
  hotkeyFile(wallet: string, hotkey: string): string {
    checkName('hotkey', hotkey);
    return path.join(this.dir(wallet), 'hotkeys', `${hotkey}.json`);
  }
  private recordFile(wallet: string): string {
    return path.join(this.dir(wallet), 'wallet.json');
  }

  async exists(wallet: string): Promise<boolean> {
    return (await readFileIfExists(this.recordFile(wallet))) !== undefined || (await pathExists(this.dir(wallet)));
  }

  async list(): Promise<WalletRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: WalletRecord[] = [];
    for (const name of names.sort()) {
      if (!NAME_PATTERN.test(name)) continue;
      const record = await this.read(name).catch(() => null);
      if (record) records.push(record);
    }
    return records;
  }

  async read(wallet: string): Promise<WalletRecord> {
    const text = await readFileIfExists(this.recordFile(wallet));
    if (text === undefined) throw new WalletError('NOT_FOUND', `no wallet named "${wallet}"`);
    return JSON.parse(text) as WalletRecord;
  }

  async readColdkey(wallet: string): Promise<KeyringPair$Json> {
    const text = await readFileIfExists(this.coldkeyFile(wallet));
    if (text === undefined) {
      const record = await this.read(wallet);
      if (record.coldkeyWatchOnly) throw new WalletError('WATCH_ONLY', `wallet "${wallet}" holds only the coldkey's public key; it cannot sign`);
      throw new WalletError('NOT_FOUND', `wallet "${wallet}" has no coldkey file`);
    }
    return parseKeystore(text);
  }

  async readHotkey(wallet: string, hotkey: string): Promise<KeyringPair$Json> {
    const text = await readFileIfExists(this.hotkeyFile(wallet, hotkey));
    if (text === undefined) throw new WalletError('NOT_FOUND', `wallet "${wallet}" has no hotkey "${hotkey}"`);
    return parseKeystore(text);
  }

  /**
   * Writes a whole new wallet. Refuses when the folder exists at all: a key is
   * never overwritten. Files are written into a staging folder first and the
   * folder is renamed into place, so a half-made wallet never shows up.
   */
  async createWallet(record: WalletRecord, coldkey: KeyringPair$Json | null, hotkeys: Array<{ name: string; json: KeyringPair$Json }>): Promise<void> {
    const final = this.dir(record.name);
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    if (await pathExists(final)) throw new WalletError('EXISTS', `a wallet named "${record.name}" already exists; choose another name (existing keys are never overwritten)`);
    const staging = path.join(this.root, `.staging-${record.name}-${crypto.randomBytes(6).toString('hex')}`);
    await fs.mkdir(path.join(staging, 'hotkeys'), { recursive: true, mode: 0o700 });
    try {
      if (coldkey) await writeFileAtomically(path.join(staging, 'coldkey.json'), JSON.stringify(coldkey, null, 2), { mode: 0o600 });
      for (const hotkey of hotkeys) {
        checkName('hotkey', hotkey.name);
        await writeFileAtomically(path.join(staging, 'hotkeys', `${hotkey.name}.json`), JSON.stringify(hotkey.json, null, 2), { mode: 0o600 });
      }
      await writeFileAtomically(path.join(staging, 'wallet.json'), JSON.stringify(record, null, 2), { mode: 0o600 });
      // rename(2) of a directory onto an existing non-empty directory fails, so
      // a wallet that appeared meanwhile is still not replaced.
      await fs.rename(staging, final).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') {
          throw new WalletError('EXISTS', `a wallet named "${record.name}" already exists; existing keys are never overwritten`);
        }
        throw error;
      });
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /** Adds a key file that must not exist yet (link(2) fails with EEXIST instead of replacing). */
  async addHotkey(wallet: string, hotkey: string, json: KeyringPair$Json): Promise<void> {
    const file = this.hotkeyFile(wallet, hotkey);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeNewFile(file, JSON.stringify(json, null, 2));
    const record = await this.read(wallet);
    await this.writeRecord({ ...record, hotkeys: [...record.hotkeys, { name: hotkey, address: json.address }] });
  }

  /** Replaces a keystore with the same key under a new passphrase: atomic, 0600. */
  async rewriteKeystore(file: string, json: KeyringPair$Json): Promise<void> {
    const current = await readFileIfExists(file);
    if (current === undefined) throw new WalletError('NOT_FOUND', `no keystore at ${file}`);
    if (parseKeystore(current).address !== json.address) throw new WalletError('MISMATCH', 'refusing to replace a keystore with a different key');
    await writeFileAtomically(file, JSON.stringify(json, null, 2), { mode: 0o600 });
  }

  async writeRecord(record: WalletRecord): Promise<void> {
    await writeFileAtomically(this.recordFile(record.name), JSON.stringify(record, null, 2), { mode: 0o600 });
  }
}

/** Creates a file only if the name is free, atomically: temp file, fsync, link(2) into place. */
export async function writeNewFile(file: string, data: string): Promise<void> {
  const temp = `${file}.new-${crypto.randomBytes(6).toString('hex')}`;
  await writeFileAtomically(temp, data, { mode: 0o600 });
  try {
    await fs.link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new WalletError('EXISTS', `${path.basename(file)} already exists; existing keys are never overwritten`);
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
