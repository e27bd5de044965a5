// `npm test`: every check in order (lint, types, build, unit, native, e2e),
// then one closing line with the totals. A failing step does not hide the
// others' results, but the exit code is non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

fs.mkdirSync('test-results', { recursive: true });

const vitestSuite = (project) => ({
  name: project,
  cmd: ['npx', ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=test-results/${project}.json`]],
  counts: () => {
    const report = JSON.parse(fs.readFileSync(`test-results/${project}.json`, 'utf8'));
    return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
  },
});

const steps = [
  { name: 'lint', cmd: ['npm', ['run', '--silent', 'lint']] },
  { name: 'typecheck', cmd: ['npm', ['run', '--silent', 'typecheck']] },
  { name: 'build', cmd: ['npm', ['run', '--silent', 'build']] },
  vitestSuite('unit'),
  {
    name: 'native (C++)',
    cmd: ['node', ['native/scripts/test-native.mjs']],
    countsFromOutput: (out) => {
      const m = /native: (\d+) passed, (\d+) failed/.exec(out);
      return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: 0 } : undefined;
    },
  },
  {
    name: 'trainer (C++)',
    cmd: ['node', ['native/scripts/trainer-test.mjs']],
    countsFromOutput: (out) => {
      const m = /trainer: (\d+) passed, (\d+) failed/.exec(out);
      return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: 0 } : undefined;
    },
  },
  vitestSuite('native'),
  vitestSuite('e2e'),
];

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
let anyFailed = false;
for (const step of steps) {
  const started = Date.now();
  console.log(`\n=== ${step.name} ===`);
  const [cmd, args] = step.cmd;
  const result = spawnSync(cmd, args, { stdio: step.countsFromOutput ? ['inherit', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (step.countsFromOutput) process.stdout.write(result.stdout ?? '');
  const ok = result.status === 0;
  let counts;
  try {
    counts = step.counts?.() ?? step.countsFromOutput?.(result.stdout ?? '');
  } catch {
    counts = undefined;
  }
  if (counts) for (const k of Object.keys(totals)) totals[k] += counts[k];
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
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(anyFailed ? 1 : 0);
