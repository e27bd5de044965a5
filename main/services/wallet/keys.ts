import { Keyring } from '@polkadot/keyring';
import type { KeyringPair, KeyringPair$Json } from '@polkadot/keyring/types';
import { hexToU8a, isHex, u8aToHex } from '@polkadot/util';
import {
  cryptoWaitReady,
  decodeAddress,
  encodeAddress,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  mnemonicValidate,
} from '@polkadot/util-crypto';
import type { BtcliKeyfile } from './btcli-keyfile';
import { WalletError } from './errors';

/** Bittensor: sr25519 keys, SS58 prefix 42. */
export const SS58_FORMAT = 42;

let ready: Promise<boolean> | undefined;
export function keysReady(): Promise<boolean> {
  ready ??= cryptoWaitReady();
  return ready;
}

function keyring(): Keyring {
  return new Keyring({ type: 'sr25519', ss58Format: SS58_FORMAT });
}

export function generateMnemonic(words: 12 | 24): string {
  return mnemonicGenerate(words);
}

export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.trim().toLowerCase().split(/\s+/).join(' ');
}

/** A pair from a BIP-39 phrase (the Substrate way: mini-secret from the entropy, as btcli does). */
export function pairFromMnemonic(mnemonic: string, name = ''): KeyringPair {
  const phrase = normalizeMnemonic(mnemonic);
  if (!mnemonicValidate(phrase)) throw new WalletError('BAD_INPUT', 'not a valid BIP-39 recovery phrase (check the words and their order)');
  return keyring().addFromSeed(mnemonicToMiniSecret(phrase), { name });
}

/** A pair from a 32-byte sr25519 mini-secret (btcli's secretSeed). */
export function pairFromSeed(seed: string | Uint8Array, name = ''): KeyringPair {
  const bytes = typeof seed === 'string' ? hexToU8a(seed.startsWith('0x') ? seed : `0x${seed}`) : seed;
  if (bytes.length !== 32) throw new WalletError('BAD_INPUT', 'a seed must be 32 bytes (64 hex digits)');
  return keyring().addFromSeed(bytes, { name });
}

/** Development and derivation URIs such as `//Alice` (tests and local devnets). */
export function pairFromUri(uri: string, name = ''): KeyringPair {
  return keyring().addFromUri(uri, { name });
}

export function publicKeyToAddress(publicKey: string | Uint8Array, ss58Format = SS58_FORMAT): string {
  return encodeAddress(publicKey, ss58Format);
}

export function isValidAddress(address: string): boolean {
  try {
    decodeAddress(address);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rebuilds the key of a btcli keyfile from secretSeed (preferred) or
 * secretPhrase, then checks it against the public fields the file states.
 */
export function pairFromBtcliKeyfile(file: BtcliKeyfile, name = ''): KeyringPair {
  let pair: KeyringPair;
  if (file.secretSeed && isHex(file.secretSeed)) pair = pairFromSeed(file.secretSeed, name);
  else if (file.secretPhrase) pair = pairFromMnemonic(file.secretPhrase, name);
  else throw new WalletError('BAD_KEYFILE', 'the keyfile has neither secretSeed nor secretPhrase (privateKey alone is not importable)');
  if (file.secretSeed && file.secretPhrase) {
    const fromPhrase = pairFromMnemonic(file.secretPhrase);
    if (fromPhrase.address !== pair.address) throw new WalletError('MISMATCH', 'the keyfile secretSeed and secretPhrase give different keys');
  }
  assertMatches(file, pair.address, u8aToHex(pair.publicKey));
  return pair;
}

/** The public address a keyfile states (coldkeypub.txt, hotkeys/<name>pub.txt, or a full keyfile). */
export function addressFromPublicKeyfile(file: BtcliKeyfile): string {
  if (file.publicKey && isHex(file.publicKey)) {
    const address = publicKeyToAddress(file.publicKey);
    assertMatches(file, address, file.publicKey);
    return address;
  }
  if (file.accountId && isHex(file.accountId)) return publicKeyToAddress(file.accountId);
  if (file.ss58Address && isValidAddress(file.ss58Address)) return publicKeyToAddress(decodeAddress(file.ss58Address));
  throw new WalletError('BAD_KEYFILE', 'the public keyfile has no publicKey, accountId or ss58Address');
}

function assertMatches(file: BtcliKeyfile, address: string, publicKeyHex: string): void {
  if (file.ss58Address && isValidAddress(file.ss58Address) && publicKeyToAddress(decodeAddress(file.ss58Address)) !== address) {
    throw new WalletError('MISMATCH', `the keyfile states ${file.ss58Address} but its secret gives ${address}`);
  }
  for (const field of [file.publicKey, file.accountId]) {
    if (field && isHex(field) && field.toLowerCase() !== publicKeyHex.toLowerCase()) {
      throw new WalletError('MISMATCH', `the keyfile states public key ${field} but its secret gives ${publicKeyHex}`);
    }
  }
}

/** The keystore (polkadot JSON v3: scrypt + xsalsa20-poly1305) of a pair, encrypted with the passphrase. */
export function encryptToKeystore(pair: KeyringPair, passphrase: string): KeyringPair$Json {
  return pair.toJson(passphrase);
}

/** Opens a keystore; a wrong passphrase is WalletError('WRONG_PASSPHRASE'). The pair returned is unlocked. */
export function decryptKeystore(json: KeyringPair$Json, passphrase: string): KeyringPair {
  const pair = keyring().addFromJson(json);
  try {
    pair.decodePkcs8(passphrase);
  } catch {
    throw new WalletError('WRONG_PASSPHRASE', 'wrong passphrase: the keystore did not open (nothing was changed)');
  }
  return pair;
}

export function parseKeystore(text: string): KeyringPair$Json {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WalletError('BAD_KEYFILE', 'the keystore is not JSON');
  }
  const candidate = json as Partial<KeyringPair$Json> | null;
  if (!candidate || typeof candidate.encoded !== 'string' || typeof candidate.address !== 'string' || !candidate.encoding) {
    throw new WalletError('BAD_KEYFILE', 'not a polkadot JSON keystore (needs address, encoded, encoding)');
  }
  return candidate as KeyringPair$Json;
}

export type { KeyringPair, KeyringPair$Json };
