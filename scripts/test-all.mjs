// `npm test`: every check in order (lint, types, build, unit, native, e2e),
// then every skipped test with its reason, then one closing line with the
// totals. A failing step does not hide the others' results, but the exit
// code is non-zero if anything failed.
//
// Skip reasons: a vitest test carries it in its title or its suite's,
// "… (skipped: reason)" (test/support/skip-note.ts); the C++ suites print
// "skipped <suite> / <test>: <reason>" (native/testing/test_harness.h).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

fs.mkdirSync('test-results', { recursive: true });

const NO_REASON = 'no reason given (name one in the title: "… (skipped: reason)")';
// vitest reports the tests of a file whose beforeAll failed as skipped.
const NOT_RUN = 'not run: their file failed first (a hook; see the failure above)';
// At the end of a title (a reason may hold parentheses of its own).
const SKIP_NOTE = / \(skipped: (.*)\)$/;

/** The skipped tests of a vitest JSON report, each with the reason its title (or a suite's) gives. */
function vitestSkips(report) {
  const skips = [];
  for (const file of report.testResults ?? []) {
    const where = path.relative(process.cwd(), file.name);
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed' || test.status === 'failed') continue;
      const titles = [...(test.ancestorTitles ?? []), test.title];
      const reason =
        titles.map((t) => SKIP_NOTE.exec(t)?.[1]).find(Boolean) ??
        (test.status === 'todo' ? 'todo' : file.status === 'failed' ? NOT_RUN : NO_REASON);
      skips.push({ test: [where, ...titles.map((t) => t.replace(SKIP_NOTE, ''))].join(' > '), reason });
    }
  }
  return skips;
}

const vitestSuite = (project) => ({
  name: project,
  cmd: ['npx', ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=test-results/${project}.json`]],
  // The report of an earlier run must not stand in for this one's.
  before: () => fs.rmSync(`test-results/${project}.json`, { force: true }),
  counts: () => {
    const report = JSON.parse(fs.readFileSync(`test-results/${project}.json`, 'utf8'));
    const skips = vitestSkips(report);
    return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: Math.max(skips.length, report.numPendingTests + report.numTodoTests), skips };
  },
});

/** Counts from a C++ script's last line "<label>: N passed, M failed, K skipped", and its "skipped <test>: <reason>" lines. */
const nativeCounts = (label) => (out) => {
  const m = new RegExp(`^${label}: (\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?`, 'm').exec(out);
  if (!m) return undefined;
  const skips = [...out.matchAll(/^skipped (.+?): (.*)$/gm)].map(([, test, reason]) => ({ test, reason }));
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0), skips };
};

const steps = [
  { name: 'lint', cmd: ['npm', ['run', '--silent', 'lint']] },
  { name: 'typecheck', cmd: ['npm', ['run', '--silent', 'typecheck']] },
  { name: 'build', cmd: ['npm', ['run', '--silent', 'build']] },
  vitestSuite('unit'),
  {
    name: 'native (C++)',
    cmd: ['node', ['native/scripts/test-native.mjs']],
    countsFromOutput: nativeCounts('native'),
  },
  {
    name: 'trainer (C++)',
    cmd: ['node', ['native/scripts/trainer-test.mjs']],
    countsFromOutput: nativeCounts('trainer'),
  },
  vitestSuite('native'),
  vitestSuite('e2e'),
];

/** Runs a step with its output shown as it comes and also kept (its last 4 MB), and its exit status. */
function runShowingOutput(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk, to) => {
      to.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-4_000_000);
    };
    child.stdout.on('data', (chunk) => keep(chunk, process.stdout));
    child.stderr.on('data', (chunk) => keep(chunk, process.stderr));
    child.on('error', (error) => resolve({ status: 1, stdout: output, output: `${output}\nError: ${error.message}` }));
    child.on('close', (status) => resolve({ status, stdout: output, output }));
  });
}

// Lines that say why a step failed: vitest's FAIL lines, errors (unhandled ones too), a
// hook or test timeout, a C++ check's failure. Without this, a failure that counts no
// failed test (an unhandled rejection after every test passed) is lost in a long log.
const FAILURE_LINE = /\bFAIL\b|Error\b|Unhandled|timed out|Timeout|failed:|FAILED|Assertion|expected .* to /;
function failureLines(output, most = 40) {
  const lines = output
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '') // colour codes
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => FAILURE_LINE.test(line) && !/^\s*[✓↓]/.test(line));
  const unique = [...new Set(lines)].map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line));
  return unique.length > most ? [...unique.slice(0, most), `… and ${unique.length - most} more`] : unique;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
/** step name -> reason -> skipped tests */
const skipped = new Map();
let anyFailed = false;
/** Each failed step's own words about why, repeated at the very end where a log's tail shows them. */
const failures = [];
for (const step of steps) {
  const started = Date.now();
  console.log(`\n=== ${step.name} ===`);
  step.before?.();
  const [cmd, args] = step.cmd;
  const result = await runShowingOutput(cmd, args);
  const ok = result.status === 0;
  if (!ok) failures.push({ step: step.name, lines: failureLines(result.output, 20) });
  let counts;
  try {
    counts = step.counts?.() ?? step.countsFromOutput?.(result.stdout ?? '');
  } catch {
    counts = undefined;
  }
  if (counts) for (const k of Object.keys(totals)) totals[k] += counts[k];
  if (counts) {
    const skips = [...counts.skips];
    // A count the listing lacks (a report without names) is still shown as skipped, never dropped.
    for (let i = skips.length; i < counts.skipped; i++) skips.push({ test: '(a test the report does not name)', reason: NO_REASON });
    for (const { test, reason } of skips) {
      const byReason = skipped.get(step.name) ?? new Map();
      skipped.set(step.name, byReason.set(reason, [...(byReason.get(reason) ?? []), test]));
    }
  }
  if (!ok) {
    anyFailed = true;
    // A step that failed without reporting test counts (lint, a crash) still counts as a failure.
    if (!counts || counts.failed === 0) totals.failed += 1;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  summary.push(`${ok ? 'ok  ' : 'FAIL'} ${step.name} (${seconds}s)${counts ? `: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : ''}`);
}

console.log('\n=== summary ===');
for (const line of summary) console.log(line);
if (skipped.size > 0) {
  console.log(`\nskipped (${totals.skipped}), by reason:`);
  for (const [stepName, byReason] of skipped) {
    for (const [reason, tests] of byReason) {
      console.log(`  ${stepName}: ${reason} (${tests.length})`);
      // A long list (the CUDA tests on a GPU-less machine) is shortened: the
      // failures' own lines below must stay within the tail a CI log keeps.
      const shown = tests.length > 6 ? tests.slice(0, 3) : tests;
      for (const test of shown) console.log(`    - ${test}`);
      if (shown.length < tests.length) console.log(`    … and ${tests.length - shown.length} more (listed in the step's own output above)`);
    }
  }
  console.log('');
}
for (const { step, lines } of failures) {
  console.log(`why ${step} failed (its own lines that name an error; the whole output is above):`);
  for (const line of lines) console.log(`  ${line}`);
  console.log('');
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(anyFailed ? 1 : 0);
