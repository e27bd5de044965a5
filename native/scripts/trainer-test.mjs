#!/usr/bin/env node
// Trainer tests:
//  1. the Release build of build/trainer/tandem-trainer (CUDA sources
//     included whenever nvcc exists: this is the "CUDA compiles" check),
//  2. `tandem-trainer devices` on this machine exits 0 (no GPU -> a reason),
//  2c. the CUDA tests again on the CPU CUDA emulator, under ASan+UBSan,
//  3. the C++ test binary (gradient checks, overfit, resume, data,
//     checkpoints, SparseLoCo, protocol), built optimised in build/trainer
//     next to the release binary (no sanitizers: it runs in seconds).
// TANDEM_TRAINER_SANITIZE=1 builds the test binary with ASan+UBSan instead.
// Build output is shown only when a step fails. Each skipped test gets a
// line "skipped <suite> / <test>: <reason>" (a CUDA suite without CUDA or
// a device counts as skipped, never as passed); the last line of output is
// "trainer: N passed, M failed, K skipped" (scripts/test-all.mjs parses both).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const source = join(root, 'native/trainer');
const jobs = String(Math.max(1, cpus().length));
const sanitize = process.env.TANDEM_TRAINER_SANITIZE === '1';
// The plain test binary shares build/trainer with the release build, so a
// fresh checkout compiles the core once; the sanitizer build has its own.
const testDir = join(root, sanitize ? 'build/trainer-test-asan' : 'build/trainer');
const started = Date.now();
let passed = 0;
let failed = 0;
let skipped = 0;
const skips = [];

function run(label, command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const ok = !result.error && result.status === 0;
  if (!ok) {
    process.stdout.write(output);
    console.error(`trainer: ${label} failed (${result.error ? result.error.message : `exit code ${result.status}`})`);
  }
  return { ok, output };
}

function count(label, ok) {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}`);
}

// Adds a test binary's "tests: N passed, M failed, K skipped" to the totals
// and keeps each "skip <test>: <reason>" (native/testing/test_harness.h); a
// crash after a clean summary counts as one failure; no summary at all, too.
function addSummary(label, result) {
  const summary = /tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(result.output);
  if (!summary) {
    count(label, false);
    return;
  }
  passed += Number(summary[1]);
  failed += Number(summary[2]) + (!result.ok && Number(summary[2]) === 0 ? 1 : 0);
  skipped += Number(summary[3] ?? 0);
  for (const [, name, reason] of result.output.matchAll(/^skip (.+?): (.*)$/gm)) skips.push(`${label} / ${name}: ${reason}`);
  console.log(`${label}: ${summary[1]} passed, ${summary[2]} failed, ${summary[3] ?? 0} skipped`);
}

// ASan+UBSan, for the sanitizer test build and the CUDA emulator build.
const sanitizerFlags = ['-DCMAKE_BUILD_TYPE=Debug', '-DTANDEM_TRAINER_OPENMP=OFF',
  '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -O1',
  '-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined'];

// 1. Release build (with CUDA when nvcc exists).
const build = run('release build', process.execPath, [join(root, 'native/scripts/trainer-build.mjs')]);
count(`release build: ${build.output.trim().split('\n').pop()}`, build.ok);

// 2. Device query works without a GPU.
if (build.ok) {
  const devices = run('devices', join(root, 'build/trainer/tandem-trainer'), ['devices']);
  let ok = devices.ok;
  try {
    const parsed = JSON.parse(devices.output.trim().split('\n').pop());
    ok = ok && typeof parsed.count === 'number' && (parsed.count > 0 || parsed.reason.startsWith('no CUDA device'));
  } catch {
    ok = false;
  }
  count('tandem-trainer devices reports devices or "no CUDA device"', ok);
}

// 2b. CUDA kernels vs CPU references (reported as skipped without CUDA or a device).
if (build.ok) {
  const cudaBuilt = run('build CUDA kernel tests', 'cmake', ['--build', join(root, 'build/trainer'), '--parallel', jobs, '--target', 'tandem_trainer_cuda_tests']);
  if (!cudaBuilt.ok) {
    count('CUDA kernel tests build', false);
  } else {
    addSummary('CUDA kernel tests', run('CUDA kernel tests', join(root, 'build/trainer/tandem_trainer_cuda_tests'), []));
  }
}

// 2c. The same CUDA tests with the real kernel sources and CUDA host code
// compiled against the CPU CUDA emulator (native/trainer/tests/cuda_emulator),
// with ASan+UBSan: kernel indexing, barriers, shuffles, launch limits and
// every out-of-bounds access, on any machine. Not a GPU: timing, memory
// model and speed still need step 2b on real hardware.
{
  const emuDir = join(root, 'build/trainer-emu-asan');
  const configuredEmu = run('configure CUDA emulator tests', 'cmake',
    ['-S', source, '-B', emuDir, '-DTANDEM_TRAINER_CUDA_EMULATOR=ON', ...sanitizerFlags]);
  const builtEmu = configuredEmu.ok &&
    run('build CUDA emulator tests', 'cmake', ['--build', emuDir, '--parallel', jobs, '--target', 'tandem_trainer_cuda_tests']).ok;
  if (!builtEmu) count('CUDA emulator tests build', false);
  else addSummary('CUDA tests on the CPU emulator (ASan+UBSan)', run('CUDA emulator tests', join(emuDir, 'tandem_trainer_cuda_tests'), []));
}

// 3. Unit/property tests.
const flags = sanitize
  ? ['-DTANDEM_TRAINER_CUDA=OFF', ...sanitizerFlags]
  : [];  // keep the release build's settings (Release, CUDA as detected)
const configured = run('configure tests', 'cmake', ['-S', source, '-B', testDir, '-DTANDEM_TRAINER_BUILD_TESTS=ON', ...flags]);
const built = configured.ok && run('build tests', 'cmake', ['--build', testDir, '--parallel', jobs, '--target', 'tandem_trainer_tests']).ok;
if (!built) {
  failed += 1;
} else {
  // Passive waiting: the machine's cores are shared, spinning OpenMP
  // threads would only steal time from each other.
  const result = run('tests', join(testDir, 'tandem_trainer_tests'), process.argv.slice(2), {
    OMP_WAIT_POLICY: 'passive',
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2',
  });
  addSummary('unit tests', result);
}

for (const skip of skips) console.log(`skipped ${skip}`);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`trainer: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
