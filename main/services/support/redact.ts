import os from 'node:os';
import { mnemonicValidate } from '@polkadot/util-crypto';

/** JSON keys whose values are secrets wherever they appear (log fields, config, S3 credentials). */
const SECRET_KEY = /^(pass(word|phrase)?|mnemonic|seed|secret|secret_?key|private_?key|token|access_?key(_?id)?|secret_?access_?key|credentials?|authorization|cookie)$/i;
const SECRET_FIELD = /"([A-Za-z_]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const SEED_HEX = /\b0x[0-9a-fA-F]{64,}\b/g;
const TOKEN_IN_URL = /([#?&]token=)[0-9a-fA-F]+/g;
const LONG_HEX = /\b([0-9a-fA-F]{8})[0-9a-fA-F]{56,}\b/g;
/** Runs of short lowercase words: where a BIP39 recovery phrase would hide. */
const WORD_RUN = /\b[a-z]{3,8}(?:\s+[a-z]{3,8}){11,}\b/g;
const PHRASE_LENGTHS = [24, 21, 18, 15, 12];

function redactPhrases(run: string): string {
  const words = run.split(/\s+/);
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const length = PHRASE_LENGTHS.find((n) => i + n <= words.length && mnemonicValidate(words.slice(i, i + n).join(' ')));
    if (length) {
      out.push('[redacted recovery phrase]');
      i += length;
    } else {
      out.push(words[i] as string);
      i += 1;
    }
  }
  return out.join(' ');
}

/** A copy of a JSON value with every secret-named field's value replaced. */
export function redactObject(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactObject);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null ? '[redacted]' : redactObject(v)]));
  }
  return value;
}

/**
 * Takes secrets out of text bound for a support bundle: secret-named JSON
 * fields, 0x seeds, access tokens, valid recovery phrases, long hex strings
 * (kept to 8 characters, enough to match a digest), and the home folder path.
 * It errs on the side of removing too much: a bundle goes to other people.
 */
export function redactSecrets(text: string, home: string = os.homedir()): string {
  let out = text.replace(SECRET_FIELD, (match, key: string) => (SECRET_KEY.test(key) ? `"${key}":"[redacted]"` : match));
  out = out.replace(SEED_HEX, '[redacted key]').replace(TOKEN_IN_URL, '$1[redacted]').replace(LONG_HEX, '$1…[redacted]');
  out = out.replace(WORD_RUN, (run) => redactPhrases(run));
  if (home && home.length > 1) out = out.split(home).join('~');
  return out;
}
