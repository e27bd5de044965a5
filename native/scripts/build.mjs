#!/usr/bin/env node
// Builds the N-API addon native/addon/build/Release/tandem_codec.node with
// node-gyp. Quiet on success; on failure prints the compiler output and exits
// non-zero. Never downloads Node headers: it uses npm_config_nodedir (npm sets
// it from .npmrc `nodedir=`) or the headers installed next to this node binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const addonDir = join(root, 'native/addon');
const output = join(addonDir, 'build/Release/tandem_codec.node');

function fail(message, details = '') {
  if (details) process.stderr.write(details.endsWith('\n') ? details : `${details}\n`);
  console.error(`build:native failed: ${message}`);
  process.exit(1);
}

function findNodeDir() {
  const fromEnv = process.env.npm_config_nodedir;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'include/node/node_api.h'))) {
      fail(`npm_config_nodedir=${fromEnv} has no include/node/node_api.h`);
    }
    return fromEnv;
  }
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include/node/node_api.h'))) return prefix;
  return fail(
    'Node headers not found. Set npm_config_nodedir (or `nodedir=` in .npmrc) to a directory ' +
      'containing include/node/node_api.h; this script never downloads headers.',
  );
}

const require = createRequire(join(root, 'package.json'));
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  require.resolve('node-addon-api');
} catch {
  fail('node-gyp and node-addon-api must be installed (devDependencies); run npm install');
}

const nodedir = findNodeDir();
const result = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--nodedir=${nodedir}`, '--jobs=max', '--loglevel=warn'],
  { cwd: addonDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_nodedir: nodedir } },
);
const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
if (result.error) fail(result.error.message, log);
if (result.status !== 0) fail(`node-gyp exited with code ${result.status}`, log);
if (!existsSync(output)) fail(`node-gyp succeeded but ${output} is missing`, log);
if (process.env.TANDEM_VERBOSE_BUILD) process.stdout.write(log);
console.log(`build:native: built ${output.slice(root.length + 1)}`);
