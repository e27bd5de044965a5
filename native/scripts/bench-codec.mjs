#!/usr/bin/env node
// Builds the C++ codec benchmark (Release, -O3 -march=native) into
// build/native-bench/ and runs it: compression (bits per kept value vs the
// information bound) and single-core encode/decode/aggregate throughput vs
// memcpy on a ~100M-value LLaMA-shaped model. Extra arguments are passed to
// the benchmark (first: number of layers, default 2).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = join(root, 'build/native-bench');

function step(label, command, args, inherit = false) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: inherit ? 'inherit' : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    if (!inherit) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    console.error(`bench:codec: ${label} failed (${result.error?.message ?? `exit code ${result.status}`})`);
    process.exit(1);
  }
}

step('configure', 'cmake', [
  '-S', join(root, 'native/codec'), '-B', buildDir,
  '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG', '-DTANDEM_CODEC_NATIVE_ARCH=ON',
]);
step('build', 'cmake', ['--build', buildDir, '--parallel', String(cpus().length), '--target', 'tandem_codec_bench']);
step('run', join(buildDir, 'tandem_codec_bench'), process.argv.slice(2), true);
