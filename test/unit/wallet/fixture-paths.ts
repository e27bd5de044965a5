import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The shared fixtures beside the checkout (never copied into the repo). */
export const FIXTURES = path.resolve(repoRoot, '..', 'shared', 'fixtures');
export const BTWALLET = path.join(FIXTURES, 'btwallet');
export const hasBtwallet = fs.existsSync(path.join(BTWALLET, 'vectors.json'));
export const SKIP_BTWALLET = 'btcli wallet fixtures absent: ../shared/fixtures/btwallet not found beside the checkout';

export interface VectorFile {
  path: string;
  format: string;
  encrypted: boolean;
  password?: string;
  mnemonic?: string;
  ss58Address: string;
  publicKey?: string;
  secretSeed?: string;
  argon2iDerivedKeyHex?: string;
}

export interface Vectors {
  password: string;
  files: VectorFile[];
  keypairVectors: {
    mnemonicToAddress: Array<{ mnemonic: string; ss58Address: string }>;
    publicKeyToAddress: Array<{ publicKey: string; ss58Format: number; ss58Address: string }>;
    derivation: Array<{ uri: string; ss58Address: string }>;
  };
}

export function loadVectors(): Vectors {
  return JSON.parse(fs.readFileSync(path.join(BTWALLET, 'vectors.json'), 'utf8')) as Vectors;
}
