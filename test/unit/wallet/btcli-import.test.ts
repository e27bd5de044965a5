import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hexToU8a } from '@polkadot/util';
import {
  decryptKeyfile,
  detectKeyfileFormat,
  fernetKeyFromPassword,
  openAnsibleVault,
  openFernet,
  openNaclWithKey,
  parseKeyfileJson,
} from '../../../main/services/wallet/btcli-keyfile';
import { WalletError } from '../../../main/services/wallet/errors';
import { addressFromPublicKeyfile, keysReady, pairFromBtcliKeyfile } from '../../../main/services/wallet/keys';
import { WalletService } from '../../../main/services/wallet/wallet-service';
import { skippedUnless } from '../../support/skip-note';
import { makeTempDir } from '../../support/temp-dir';
import { BTWALLET, hasBtwallet, loadVectors, SKIP_BTWALLET, type VectorFile } from './fixture-paths';

const read = (rel: string) => new Uint8Array(fs.readFileSync(path.join(BTWALLET, rel)));

/** Fixture files are read-only; a copy must be writable to edit and to clean up. */
function makeWritable(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else fs.chmodSync(p, 0o600);
  }
}

async function rejection(promise: Promise<unknown>): Promise<WalletError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WalletError) return error;
    throw error;
  }
  throw new Error('expected a WalletError');
}

const needsFixtures = skippedUnless(hasBtwallet, SKIP_BTWALLET);

describe.skipIf(!hasBtwallet)(`btcli keyfiles (fixtures)${needsFixtures}`, () => {
  const vectors = hasBtwallet ? loadVectors() : undefined;
  const byPath = (p: string) => vectors?.files.find((f) => f.path === p) as VectorFile;
  beforeAll(async () => {
    await keysReady();
  });

  it('tells every format by its leading bytes', () => {
    // The loops of this suite assert nothing over an empty list: 10 keyfiles, 7 unencrypted, when this was written.
    expect(vectors?.files.length).toBeGreaterThanOrEqual(10);
    for (const file of vectors?.files ?? []) {
      const format = detectKeyfileFormat(read(file.path));
      const expected = file.format.startsWith('NaCl')
        ? 'nacl'
        : file.format.startsWith('Ansible')
          ? 'ansible-vault'
          : file.format.startsWith('legacy Fernet')
            ? 'fernet'
            : 'plain';
      expect(format, file.path).toBe(expected);
    }
  });

  it('every unencrypted keyfile yields the address in vectors.json', () => {
    expect(vectors?.files.filter((f) => !f.encrypted).length).toBeGreaterThanOrEqual(7);
    for (const file of vectors?.files.filter((f) => !f.encrypted) ?? []) {
      const parsed = parseKeyfileJson(read(file.path));
      const address = parsed.secretSeed || parsed.secretPhrase ? pairFromBtcliKeyfile(parsed).address : addressFromPublicKeyfile(parsed);
      expect(address, file.path).toBe(file.ss58Address);
    }
  });

  it('opens $NACL with the recorded Argon2i key; another key fails the MAC', () => {
    const file = byPath('generated/wallets/testwallet/coldkey');
    const data = read(file.path);
    const plain = openNaclWithKey(data, hexToU8a(`0x${file.argon2iDerivedKeyHex}`));
    expect(plain).not.toBeNull();
    expect(Buffer.from(plain as Uint8Array).equals(Buffer.from(read('generated/coldkey-unencrypted')))).toBe(true);
    expect(pairFromBtcliKeyfile(parseKeyfileJson(plain as Uint8Array)).address).toBe(file.ss58Address);
    const wrong = hexToU8a(`0x${file.argon2iDerivedKeyHex}`).map((b, i) => (i === 0 ? b ^ 1 : b));
    expect(openNaclWithKey(data, wrong)).toBeNull();
  });

  it('opens Ansible Vault with the password; the wrong password fails cleanly', async () => {
    const file = byPath('generated/coldkey-ansible-vault');
    const plain = await decryptKeyfile(read(file.path), file.password);
    expect(pairFromBtcliKeyfile(parseKeyfileJson(plain)).address).toBe(file.ss58Address);
    expect(openAnsibleVault(read(file.path), 'not the password')).toBeNull();
    expect((await rejection(decryptKeyfile(read(file.path), 'not the password'))).code).toBe('WRONG_PASSPHRASE');
  });

  it('opens legacy Fernet (10 M PBKDF2 iterations, run once); another key fails cleanly', () => {
    const file = byPath('generated/coldkey-legacy-fernet') as VectorFile & { fernetKeyBase64Url: string };
    const key = fernetKeyFromPassword(file.password as string);
    expect(key.toString('base64url')).toBe(file.fernetKeyBase64Url.replace(/=+$/, ''));
    const plain = openFernet(read(file.path), key);
    expect(pairFromBtcliKeyfile(parseKeyfileJson(plain as Uint8Array)).address).toBe(file.ss58Address);
    const wrongKey = Buffer.from(key).map((b, i) => (i === 0 ? b ^ 1 : b));
    expect(openFernet(read(file.path), Buffer.from(wrongKey))).toBeNull();
  }, 60_000);

  it('an encrypted keyfile without a password asks for it', async () => {
    expect((await rejection(decryptKeyfile(read('generated/coldkey-ansible-vault'), undefined))).code).toBe('PASSPHRASE_REQUIRED');
  });
});

describe.skipIf(!hasBtwallet)(`btcli wallet folder import (fixtures)${needsFixtures}`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());
  const vectors = hasBtwallet ? loadVectors() : undefined;

  it('imports the $NACL testwallet (real Argon2i, once) with its hotkey; a wrong password changes nothing', async () => {
    const service = new WalletService({ root: path.join(temp.dir, 'wallets'), machineWarnings: () => [] });
    const folder = path.join(BTWALLET, 'generated', 'wallets', 'testwallet');
    const coldkey = vectors?.files.find((f) => f.path === 'generated/wallets/testwallet/coldkey') as VectorFile;
    const hotkey = vectors?.files.find((f) => f.path === 'generated/wallets/testwallet/hotkeys/default') as VectorFile;

    // A wrong password, on a copy of the folder whose coldkey is the Ansible Vault
    // variant (fast to refuse; Argon2i runs once in this file, below).
    const copy = path.join(temp.dir, 'btcli-copy');
    fs.cpSync(folder, copy, { recursive: true });
    makeWritable(copy);
    fs.rmSync(path.join(copy, 'coldkey'));
    fs.copyFileSync(path.join(BTWALLET, 'generated', 'coldkey-ansible-vault'), path.join(copy, 'coldkey'));
    const error = await rejection(
      service.importBtcli({ name: 'bad', folder: copy, btcliPassword: 'not the password', coldkeyPassphrase: 'new passphrase 1', hotkeyPassphrase: 'new passphrase 2' }),
    );
    expect(error.code).toBe('WRONG_PASSPHRASE');
    expect(fs.existsSync(path.join(temp.dir, 'wallets', 'bad'))).toBe(false);
    expect(await service.store.list()).toEqual([]);
    // The same copy with the right password imports the same addresses.
    const viaVault = await service.importBtcli({ name: 'vault', folder: copy, btcliPassword: coldkey.password, coldkeyPassphrase: 'new passphrase 1', hotkeyPassphrase: 'new passphrase 2' });
    expect(viaVault.record.coldkeyAddress).toBe(coldkey.ss58Address);

    const { record, skipped } = await service.importBtcli({
      name: 'imported',
      folder,
      btcliPassword: coldkey.password,
      coldkeyPassphrase: 'new passphrase 1',
      hotkeyPassphrase: 'new passphrase 2',
    });
    expect(skipped).toEqual([]);
    expect(record.coldkeyAddress).toBe(coldkey.ss58Address);
    expect(record.hotkeys).toEqual([{ name: 'default', address: hotkey.ss58Address }]);
    expect(record.coldkeyWatchOnly).toBe(false);
    // The stored keystores open with the new passphrases and give the same keys.
    const signed = await service.withColdkey('imported', 'new passphrase 1', async (signer) => signer.address);
    expect(signed).toBe(coldkey.ss58Address);
  }, 120_000);
});
