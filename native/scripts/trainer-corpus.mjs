#!/usr/bin/env node
// Turns the devnet corpus (native/data/sotu/*.txt) into byte-level token
// shards in build/trainer-data/ with `tandem-trainer prepare-data`.
// Needs build/trainer/tandem-trainer (node native/scripts/trainer-build.mjs).
// Prints one JSON summary line; exits non-zero with a reason on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binary = join(root, 'build/trainer/tandem-trainer');
const corpus = join(root, 'native/data/sotu');
const output = process.argv[2] ? resolve(process.argv[2]) : join(root, 'build/trainer-data');

if (!existsSync(binary)) {
  console.error(`trainer-corpus failed: ${binary} is missing; run node native/scripts/trainer-build.mjs`);
  process.exit(1);
}
const inputs = readdirSync(corpus).filter((f) => f.endsWith('.txt')).sort().map((f) => join(corpus, f));
const result = spawnSync(binary, ['prepare-data', '--input', ...inputs, '--output', output, '--prefix', 'sotu'], {
  encoding: 'utf8',
});
if (result.status !== 0) {
  process.stderr.write(result.stderr ?? '');
  console.error(`trainer-corpus failed: prepare-data exited with ${result.status}`);
  process.exit(1);
}
process.stdout.write(result.stdout);
