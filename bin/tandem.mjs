#!/usr/bin/env node
// Entry of the `tandem` command: runs the bundled CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/main/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  console.error('Tandem is not built yet: run `npm install` (or `npm run build`) first.');
  process.exit(1);
}
// The AWS SDK warns on every run that its releases after January 2027 will need
// Node 22. The lockfile holds the SDK at a version that runs on Node 20, so the
// warning tells a user nothing they can act on; every other warning still shows.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  // The SDK sends it as a plain message that starts with its name.
  const text = typeof warning === 'string' ? warning : (warning?.message ?? '');
  if (text.startsWith('NodeVersionSupportWarning:')) return;
  emitWarning(warning, ...rest);
};
await import(cli);
