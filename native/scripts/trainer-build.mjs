#!/usr/bin/env node
// Builds build/trainer/tandem-trainer (Release) with CMake. The CUDA backend
// is compiled whenever nvcc is found (PATH, $CUDACXX, /usr/local/cuda/bin);
// without it the CPU-only trainer is built. Quiet on success; on failure
// prints the tool output and exits non-zero with a one-line reason.
// Set TANDEM_TRAINER_CUDA=0 to skip CUDA, TANDEM_VERBOSE_BUILD=1 for output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const source = join(root, 'native/trainer');
const buildDir = join(root, 'build/trainer');
const binary = join(buildDir, 'tandem-trainer');
const jobs = String(Math.max(1, cpus().length));

function fail(message, details = '') {
  if (details) process.stderr.write(details.endsWith('\n') ? details : `${details}\n`);
  console.error(`build:trainer failed: ${message}`);
  process.exit(1);
}

export function findNvcc(env = process.env) {
  if (env.TANDEM_TRAINER_CUDA === '0') return null;
  const candidates = [];
  if (env.CUDACXX) candidates.push(env.CUDACXX);
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'nvcc'));
  candidates.push('/usr/local/cuda/bin/nvcc');
  return candidates.find((c) => existsSync(c)) ?? null;
}

function run(label, args, { fatal = true } = {}) {
  const result = spawnSync('cmake', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error) fail(`${label}: ${result.error.message} (is cmake installed?)`, log);
  if (result.status !== 0) {
    if (!fatal) {
      if (process.env.TANDEM_VERBOSE_BUILD) process.stdout.write(log);
      return null;
    }
    fail(`${label} exited with code ${result.status}`, log);
  }
  if (process.env.TANDEM_VERBOSE_BUILD) process.stdout.write(log);
  return log;
}

const nvcc = findNvcc();
const baseArgs = ['-S', source, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'];
let backends = 'CPU only, nvcc not found';
if (nvcc) {
  // A broken CUDA toolkit must not cost the CPU trainer: fall back loudly.
  if (run('cmake configure (CUDA)', [...baseArgs, '-DTANDEM_TRAINER_CUDA=ON', `-DCMAKE_CUDA_COMPILER=${nvcc}`], { fatal: false })) {
    backends = 'CPU + CUDA';
  } else {
    console.warn(`build:trainer: warning: CUDA configuration with ${nvcc} failed; building the CPU backend only ` +
      '(TANDEM_VERBOSE_BUILD=1 shows why)');
    run('cmake configure', [...baseArgs, '--fresh', '-DTANDEM_TRAINER_CUDA=OFF']);
    backends = 'CPU only, CUDA configuration failed';
  }
} else {
  run('cmake configure', [...baseArgs, '-DTANDEM_TRAINER_CUDA=OFF']);
}
run('cmake build', ['--build', buildDir, '--parallel', jobs, '--target', 'tandem-trainer']);
if (!existsSync(binary)) fail(`build finished but ${binary} is missing`);
console.log(`build:trainer: built ${binary.slice(root.length + 1)} (${backends})`);
