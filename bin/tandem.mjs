#!/usr/bin/env node
// Entry of the `tandem` command: runs the bundled CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/main/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  console.error('Tandem is not built yet: run `npm install` (or `npm run build`) first.');
  process.exit(1);
}
await import(cli);
