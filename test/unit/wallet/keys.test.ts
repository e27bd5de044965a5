import { beforeAll, describe, expect, it } from 'vitest';
import { DEV_PHRASE } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { mnemonicToMiniSecret } from '@polkadot/util-crypto';
import {
  decryptKeystore,
  encryptToKeystore,
  generateMnemonic,
  keysReady,
  pairFromMnemonic,
  pairFromSeed,
  pairFromUri,
  publicKeyToAddress,
} from '../../../main/services/wallet/keys';
import { WalletError } from '../../../main/services/wallet/errors';
import { skippedUnless } from '../../support/skip-note';
import { hasBtwallet, loadVectors, SKIP_BTWALLET } from './fixture-paths';

// Public BIP-39 / Substrate facts that hold without any fixture.
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

describe('keyring', () => {
  beforeAll(async () => {
    await keysReady();
  });

  it('derives the dev accounts from their URIs', () => {
    expect(pairFromUri('//Alice').address).toBe(ALICE);
    expect(pairFromUri('//Bob').address).toBe(BOB);
    // //Alice is the dev phrase with a hard junction: the same thing written out.
    expect(pairFromUri(`${DEV_PHRASE}//Alice`).address).toBe(ALICE);
  });

  it.skipIf(!hasBtwallet)(`gives the known address for a known mnemonic, and the upstream derivation vectors${skippedUnless(hasBtwallet, SKIP_BTWALLET)}`, () => {
    const vectors = loadVectors().keypairVectors;
    // The loops below assert nothing over an empty list.
    expect([vectors.mnemonicToAddress.length, vectors.publicKeyToAddress.length, vectors.derivation.length].every((n) => n > 0)).toBe(true);
    for (const v of vectors.mnemonicToAddress) expect(pairFromMnemonic(v.mnemonic).address).toBe(v.ss58Address);
    for (const v of vectors.publicKeyToAddress) expect(publicKeyToAddress(v.publicKey, v.ss58Format)).toBe(v.ss58Address);
    for (const v of vectors.derivation) {
      const uri = v.uri.startsWith('/') ? `${DEV_PHRASE}${v.uri}` : v.uri;
      expect(pairFromUri(uri).address, v.uri).toBe(v.ss58Address);
    }
  });

  it('a mnemonic and its mini-secret seed give the same key', () => {
    const phrase = generateMnemonic(12);
    expect(phrase.split(' ')).toHaveLength(12);
    expect(generateMnemonic(24).split(' ')).toHaveLength(24);
    const seed = u8aToHex(mnemonicToMiniSecret(phrase));
    expect(pairFromSeed(seed).address).toBe(pairFromMnemonic(phrase).address);
    expect(pairFromSeed(seed.slice(2)).address).toBe(pairFromMnemonic(`  ${phrase.toUpperCase()} `).address);
  });

  it('refuses a bad phrase and a short seed with a clear error', () => {
    expect(() => pairFromMnemonic('hello world')).toThrow(/not a valid BIP-39/);
    expect(() => pairFromSeed('0x1234')).toThrow(/32 bytes/);
  });

  it('round-trips a keystore (scrypt + xsalsa20-poly1305) and signs the same', () => {
    const pair = pairFromMnemonic(generateMnemonic(12), 'test');
    const json = encryptToKeystore(pair, 'correct horse battery');
    expect(json.encoding.type).toEqual(['scrypt', 'xsalsa20-poly1305']);
    expect(json.encoding.content).toContain('sr25519');
    expect(json.address).toBe(pair.address);
    const text = JSON.stringify(json);
    const back = decryptKeystore(JSON.parse(text), 'correct horse battery');
    expect(back.address).toBe(pair.address);
    const message = new TextEncoder().encode('tandem');
    expect(pair.verify(message, back.sign(message), pair.publicKey)).toBe(true);
  });

  it('a wrong passphrase is a clear WRONG_PASSPHRASE error', () => {
    const json = encryptToKeystore(pairFromMnemonic(generateMnemonic(12)), 'right passphrase');
    let caught: unknown;
    try {
      decryptKeystore(json, 'wrong passphrase');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WalletError);
    expect((caught as WalletError).code).toBe('WRONG_PASSPHRASE');
    expect((caught as WalletError).message).toMatch(/wrong passphrase/);
  });
});
