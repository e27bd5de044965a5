import crypto from 'node:crypto';
import { argon2i } from 'hash-wasm';
import { naclDecrypt } from '@polkadot/util-crypto';
import { WalletError } from './errors';

/**
 * btcli / bittensor-wallet keyfiles, as opentensor/btwallet (src/keyfile.rs)
 * reads them: the format is told by the leading bytes only.
 *
 *  - `$NACL`          nonce(24) || secretbox(plaintext), key = Argon2i-1.3(password, fixed salt, 8 passes, 512 MiB)
 *  - `$ANSIBLE_VAULT` Ansible Vault 1.1 AES256 (bittensor ≤ 6)
 *  - `gAAAAA`         legacy Fernet, key = PBKDF2-SHA256(password, fixed salt, 10 M iterations)
 *  - anything else    plaintext JSON (or a bare 0x… public key)
 */
export type KeyfileFormat = 'nacl' | 'ansible-vault' | 'fernet' | 'plain';

export function detectKeyfileFormat(data: Uint8Array): KeyfileFormat {
  const head = Buffer.from(data.subarray(0, 16)).toString('latin1');
  if (head.startsWith('$NACL')) return 'nacl';
  if (head.startsWith('$ANSIBLE_VAULT')) return 'ansible-vault';
  if (head.startsWith('gAAAAA')) return 'fernet';
  return 'plain';
}

export function isEncryptedKeyfile(data: Uint8Array): boolean {
  return detectKeyfileFormat(data) !== 'plain';
}

/** The fixed Argon2i salt of btwallet's `$NACL` format. */
export const NACL_SALT = Uint8Array.from([0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1]);

/** libsodium crypto_pwhash_argon2i with OPSLIMIT_SENSITIVE / MEMLIMIT_SENSITIVE: ~6 s and 512 MiB. */
export async function deriveNaclKey(password: string): Promise<Uint8Array> {
  return argon2i({
    password: Buffer.from(password, 'utf8'),
    salt: NACL_SALT,
    parallelism: 1,
    iterations: 8,
    memorySize: 524288,
    hashLength: 32,
    outputType: 'binary',
  });
}

/** Opens a `$NACL` file with an already derived key; null when the key is wrong (MAC check fails). */
export function openNaclWithKey(data: Uint8Array, key: Uint8Array): Uint8Array | null {
  if (data.length < 5 + 24 + 16) throw new WalletError('BAD_KEYFILE', 'the $NACL keyfile is too short to hold a nonce and a MAC');
  const nonce = data.subarray(5, 29);
  const sealed = data.subarray(29);
  return naclDecrypt(sealed, nonce, key);
}

const ANSIBLE_HEADER = '$ANSIBLE_VAULT;1.1;AES256';

export function openAnsibleVault(data: Uint8Array, password: string): Uint8Array | null {
  const text = Buffer.from(data).toString('utf8');
  const lines = text.split(/\r?\n/);
  const header = lines.shift()?.trim() ?? '';
  if (!header.startsWith('$ANSIBLE_VAULT;1.1;AES256') && !header.startsWith('$ANSIBLE_VAULT;1.2;AES256')) {
    throw new WalletError('BAD_KEYFILE', `unsupported Ansible Vault header (expected ${ANSIBLE_HEADER})`);
  }
  const outer = Buffer.from(lines.join('').trim(), 'hex').toString('utf8');
  const [saltHex, hmacHex, cipherHex] = outer.split('\n');
  if (!saltHex || !hmacHex || !cipherHex) throw new WalletError('BAD_KEYFILE', 'the Ansible Vault body is not salt, HMAC and ciphertext');
  const salt = Buffer.from(saltHex, 'hex');
  const derived = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10_000, 80, 'sha256');
  const aesKey = derived.subarray(0, 32);
  const hmacKey = derived.subarray(32, 64);
  const iv = derived.subarray(64, 80);
  const ciphertext = Buffer.from(cipherHex, 'hex');
  const expected = crypto.createHmac('sha256', hmacKey).update(ciphertext).digest();
  const given = Buffer.from(hmacHex, 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  const decipher = crypto.createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16) throw new WalletError('BAD_KEYFILE', 'the Ansible Vault plaintext has bad padding');
  return new Uint8Array(padded.subarray(0, padded.length - pad));
}

const FERNET_SALT = Buffer.from('Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins', 'ascii');

export function fernetKeyFromPassword(password: string): Buffer {
  return crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), FERNET_SALT, 10_000_000, 32, 'sha256');
}

/** Opens a Fernet token (version 0x80, HMAC-SHA256, AES-128-CBC); null when the key is wrong. */
export function openFernet(data: Uint8Array, key: Buffer): Uint8Array | null {
  const token = Buffer.from(Buffer.from(data).toString('ascii').trim(), 'base64url');
  if (token.length < 1 + 8 + 16 + 16 + 32 || token[0] !== 0x80) throw new WalletError('BAD_KEYFILE', 'not a Fernet token');
  const signingKey = key.subarray(0, 16);
  const encryptionKey = key.subarray(16, 32);
  const signed = token.subarray(0, token.length - 32);
  const mac = token.subarray(token.length - 32);
  const expected = crypto.createHmac('sha256', signingKey).update(signed).digest();
  if (!crypto.timingSafeEqual(mac, expected)) return null;
  const iv = token.subarray(9, 25);
  const ciphertext = token.subarray(25, token.length - 32);
  const decipher = crypto.createDecipheriv('aes-128-cbc', encryptionKey, iv);
  return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

/**
 * Decrypts any btcli keyfile with its password. A wrong password is a
 * WalletError('WRONG_PASSPHRASE'); nothing is written anywhere.
 */
export async function decryptKeyfile(data: Uint8Array, password: string | undefined): Promise<Uint8Array> {
  const format = detectKeyfileFormat(data);
  if (format === 'plain') return data;
  if (password === undefined || password.length === 0) {
    throw new WalletError('PASSPHRASE_REQUIRED', `this keyfile is encrypted (${format}); its btcli password is needed`);
  }
  let plain: Uint8Array | null;
  if (format === 'nacl') plain = openNaclWithKey(data, await deriveNaclKey(password));
  else if (format === 'ansible-vault') plain = openAnsibleVault(data, password);
  else plain = openFernet(data, fernetKeyFromPassword(password));
  if (!plain) throw new WalletError('WRONG_PASSPHRASE', `wrong btcli password: the ${format} keyfile did not open`);
  return plain;
}

/** The fields of a btcli keyfile. Only secretSeed / secretPhrase are used to rebuild a key (privateKey is schnorrkel's form, not polkadot-js's). */
export interface BtcliKeyfile {
  accountId?: string | null;
  publicKey?: string | null;
  privateKey?: string | null;
  secretPhrase?: string | null;
  secretSeed?: string | null;
  ss58Address?: string | null;
}

export function parseKeyfileJson(plain: Uint8Array): BtcliKeyfile {
  const text = Buffer.from(plain).toString('utf8').trim();
  if (/^"?0x[0-9a-fA-F]{64}"?$/.test(text)) {
    // The oldest coldkeypub.txt format: a bare public key.
    return { publicKey: text.replace(/"/g, '') };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WalletError('BAD_KEYFILE', 'the keyfile is neither JSON nor a 0x public key');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WalletError('BAD_KEYFILE', 'the keyfile JSON is not an object');
  const record = parsed as Record<string, unknown>;
  const out: BtcliKeyfile = {};
  for (const field of ['accountId', 'publicKey', 'privateKey', 'secretPhrase', 'secretSeed', 'ss58Address'] as const) {
    const value = record[field];
    if (typeof value === 'string') out[field] = value;
  }
  return out;
}
