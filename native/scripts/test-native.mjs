#!/usr/bin/env node
// Builds the C++ codec twice (Release, and ASan+UBSan) with CMake and runs
// the unit/property tests in both plus the decode fuzz driver under the
// sanitizers. Build output is shown only when a step fails. Each skipped
// test gets a line "skipped <suite> / <test>: <reason>"; the last line of
// output is "native: N passed, M failed, K skipped" (scripts/test-all.mjs
// parses both).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const source = join(root, 'native/codec');
const jobs = String(Math.max(1, cpus().length));
const fuzzIterations = process.env.TANDEM_FUZZ_ITERATIONS ?? '100000';
const sanitize = '-fsanitize=address,undefined -fno-sanitize-recover=all -g -O1';

let passed = 0;
let failed = 0;
let skipped = 0;
const skips = [];
const started = Date.now();

function run(label, command, args, { show = false, env } = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    process.stdout.write(output);
    const why = result.error ? result.error.message : `exit code ${result.status}`;
    console.error(`native: ${label} failed (${why})`);
    return { ok: false, output };
  }
  if (show) process.stdout.write(output);
  return { ok: true, output };
}

function build(dir, extraArgs) {
  const configured = run(`configure ${dir}`, 'cmake', ['-S', source, '-B', join(root, dir), ...extraArgs]);
  if (!configured.ok) return false;
  const built = run(`build ${dir}`, 'cmake', [
    '--build', join(root, dir), '--parallel', jobs,
    '--target', 'tandem_codec_tests', 'tandem_codec_fuzz',
  ]);
  return built.ok;
}

// Counts "tests: N passed, M failed, K skipped" from the harness output
// (native/testing/test_harness.h), and keeps each "skip <test>: <reason>".
function runTests(label, binary, env) {
  const result = run(label, binary, [], { env });
  const match = /tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(result.output);
  if (match) {
    passed += Number(match[1]);
    failed += Number(match[2]);
    skipped += Number(match[3] ?? 0);
    for (const [, name, reason] of result.output.matchAll(/^skip (.+?): (.*)$/gm)) skips.push(`${label} / ${name}: ${reason}`);
    console.log(`${label}: ${match[1]} passed, ${match[2]} failed, ${match[3] ?? 0} skipped`);
  } else {
    failed += 1;
  }
  if (!result.ok && match && Number(match[2]) === 0) failed += 1;  // crashed after the summary
}

function runFuzz(label, binary, iterations, env) {
  const result = run(label, binary, [iterations], { env });
  const line = /fuzz: .*/.exec(result.output);
  if (line) console.log(`${label}: ${line[0]}`);
  if (result.ok) passed += 1;
  else failed += 1;
}

const asanEnv = {
  ASAN_OPTIONS: 'abort_on_error=1:detect_leaks=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

if (!build('build/native', ['-DCMAKE_BUILD_TYPE=Release'])) {
  failed += 1;
} else {
  runTests('release tests', join(root, 'build/native/tandem_codec_tests'));
  runFuzz('release fuzz', join(root, 'build/native/tandem_codec_fuzz'), '1000000');
}

if (!build('build/native-asan', [
  '-DCMAKE_BUILD_TYPE=',
  `-DCMAKE_CXX_FLAGS=${sanitize}`,
  '-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined',
])) {
  failed += 1;
} else {
  runTests('asan+ubsan tests', join(root, 'build/native-asan/tandem_codec_tests'), asanEnv);
  runFuzz('asan+ubsan fuzz', join(root, 'build/native-asan/tandem_codec_fuzz'), fuzzIterations, asanEnv);
}

for (const skip of skips) console.log(`skipped ${skip}`);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`native: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
