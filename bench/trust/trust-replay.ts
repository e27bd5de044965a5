// Reruns the rating book's pay rules on windows bench:trust recorded (figures only).
//   npx tsx bench/trust/trust-replay.ts <windows.jsonl> [more.jsonl ...] [--set name=value ...] [--as-run name=value ...]
// Each file is one attacked run's window reports (bench:trust prints where it wrote them). The windows' measurements
// (scores, z, work, flags) are fed to a RatingBook with the run's policy (today's default, or the default changed by
// --as-run for a run of an older commit), whose weights must match the ones the run set (printed: the largest
// difference), and then with the policy changed by --set (e.g. --set ratedShare=0.3). Open
// loop: in the run, the weights chose which updates were aggregated and so what the later windows measured; a replay
// keeps the measurements as they were. It tells which pay rules are worth a full run, on seeds apart from those it is
// then reported on, not what that run will show.
import fs from 'node:fs';
import { DEFAULT_RATING_POLICY, RatingBook, type RatingPolicy } from '../../main/services/validator/rating-book';
import type { PeerWindowScore } from '../../main/services/validator/window-score';
import { payFigures, type PayFigures, type Role } from './trust-figures';

interface RecordedWindow {
  window: number;
  peers: PeerWindowScore[];
  weights: Record<string, number>;
  /** Set when the aggregate was applied without judging anyone (the validator counted the window, rated nobody). */
  unjudged?: string;
}

interface RecordedRun {
  file: string;
  windows: RecordedWindow[];
  peers: Array<{ name: string; uid: number; role: Role }>;
}

function readRun(file: string): RecordedRun {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const parsed = lines.map((line, i) => {
    try {
      return JSON.parse(line) as Partial<RecordedWindow> & { peers?: unknown };
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON line`);
    }
  });
  const last = parsed.at(-1) as { peers?: RecordedRun['peers'] } | undefined;
  if (!last || !Array.isArray(last.peers) || last.peers.some((p) => typeof (p as { role?: unknown }).role !== 'string')) {
    throw new Error(`${file}: its last line names no peers' roles (a run that did not finish?)`);
  }
  return { file, windows: parsed.slice(0, -1) as RecordedWindow[], peers: last.peers };
}

/** The run's windows fed to a book with this policy: the weights after each, as the validator sets them. */
export function replay(run: RecordedRun, policy: RatingPolicy): { book: RatingBook; weights: Array<Map<number, number>> } {
  const book = new RatingBook(policy);
  const registered = run.peers.map((p) => p.uid);
  const weights = run.windows.map((w) => {
    // A window with nobody judged set no weights: one nobody trained (not counted) or one applied unjudged (counted).
    if (w.peers.length === 0) {
      if (w.unjudged !== undefined) book.recordWindow(w.window, []);
      return new Map<number, number>();
    }
    book.recordWindow(w.window, w.peers);
    return book.weights(w.window + 1, registered);
  });
  return { book, weights };
}

function figuresOf(run: RecordedRun, book: RatingBook, last: Map<number, number> | undefined): PayFigures {
  return payFigures(run.peers.map((p) => ({ ...p, weight: last?.get(p.uid) ?? 0, penalties: book.peer(p.uid).penalties })));
}

function parseSettings(args: readonly string[]): Partial<RatingPolicy> {
  const changes: Record<string, number | boolean> = {};
  const settable = Object.keys(DEFAULT_RATING_POLICY).filter((k) => ['number', 'boolean'].includes(typeof DEFAULT_RATING_POLICY[k as keyof RatingPolicy]));
  args.forEach((arg, i) => {
    if (arg !== '--set') return;
    const [name, value] = (args[i + 1] ?? '').split('=');
    if (!name || !settable.includes(name)) throw new Error(`--set ${args[i + 1] ?? ''}: not a number or yes/no rating policy setting (${settable.join(', ')})`);
    if (typeof DEFAULT_RATING_POLICY[name as keyof RatingPolicy] === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new Error(`--set ${name}: needs true or false`);
      changes[name] = value === 'true';
      return;
    }
    const number = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(number)) throw new Error(`--set ${name}: needs a number`);
    changes[name] = number;
  });
  return changes as Partial<RatingPolicy>;
}

const args = process.argv.slice(2);
const files = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--set' && args[i - 1] !== '--as-run');
if (files.length === 0) {
  console.error('usage: trust-replay.ts <windows.jsonl> [more.jsonl ...] [--set name=value ...] [--as-run name=value ...]');
  process.exit(2);
}
const changes = parseSettings(args);
const variant: RatingPolicy = { ...DEFAULT_RATING_POLICY, ...changes };
// --as-run name=value: the policy the run was made with, where it is not today's default (a run of an older commit).
const asRunPolicy: RatingPolicy = { ...DEFAULT_RATING_POLICY, ...parseSettings(args.map((arg) => (arg === '--as-run' ? '--set' : arg === '--set' ? '--ignored' : arg))) };
const describe = (f: PayFigures) =>
  `ranked ${f.ranked ? 'yes' : 'no '}  honest work ${(f.honestWorkShare * 100).toFixed(1).padStart(5)}%  lowest honest ${(f.lowestOfEqualShare * 100).toFixed(0).padStart(3)}% of an equal share  honest penalties ${f.honestPenalties}  (highest adversary ${(Math.max(0, f.highestAdversary) * 100).toFixed(1)}%)`;

console.log(`policy changes: ${Object.keys(changes).length ? Object.entries(changes).map(([k, v]) => `${k}=${v}`).join(', ') : 'none'}`);
for (const file of files) {
  const run = readRun(file);
  const recorded = run.windows.at(-1);
  const asRun = replay(run, asRunPolicy);
  // The run's policy (today's default, or --as-run) must give back the run's own weights, or the replay is not of this run.
  let drift = 0;
  run.windows.forEach((w, i) => {
    const mine = asRun.weights[i] as Map<number, number>;
    for (const uid of new Set([...Object.keys(w.weights).map(Number), ...mine.keys()])) drift = Math.max(drift, Math.abs((w.weights[String(uid)] ?? 0) - (mine.get(uid) ?? 0)));
  });
  const changed = replay(run, variant);
  console.log(`${file} (${run.windows.length} windows):`);
  console.log(`  as run:   ${describe(figuresOf(run, asRun.book, recorded ? new Map(Object.entries(recorded.weights).map(([k, v]) => [Number(k), v])) : undefined))}`);
  console.log(`  replayed with the run's policy: largest weight difference from the run's ${drift.toExponential(1)}${drift > 1e-9 ? ' (NOT this policy: figures below are not comparable)' : ''}`);
  console.log(`  changed:  ${describe(figuresOf(run, changed.book, changed.weights.at(-1)))}`);
  const byName = (weights: Map<number, number> | undefined) => run.peers.map((p) => `${p.name} ${((weights?.get(p.uid) ?? 0) * 100).toFixed(1)}`).join(', ');
  console.log(`  weights (%), as run:  ${byName(asRun.weights.at(-1))}`);
  console.log(`  weights (%), changed: ${byName(changed.weights.at(-1))}`);
  // Window by window: what each window's weights paid (the last window's are what the bench reports).
  const perWindow = (weights: Array<Map<number, number>>) => weights.map((w) => payFigures(run.peers.map((p) => ({ ...p, weight: w.get(p.uid) ?? 0, penalties: 0 }))));
  const cell = (f: PayFigures) => `${(f.honestWorkShare * 100).toFixed(0).padStart(3)}/${(f.lowestOfEqualShare * 100).toFixed(0).padStart(3)}`;
  const runFigures = perWindow(asRun.weights);
  const changedFigures = perWindow(changed.weights);
  console.log(`  per window, honest work % / lowest honest % of an equal share (as run | changed):`);
  run.windows.forEach((w, i) => console.log(`    window ${String(w.window).padStart(3)}: ${cell(runFigures[i] as PayFigures)} | ${cell(changedFigures[i] as PayFigures)}`));
  // Over the whole run, as a peer is paid: the windows' weights summed.
  const total = (weights: Array<Map<number, number>>) => {
    const sums = new Map<number, number>();
    for (const w of weights) for (const [uid, v] of w) sums.set(uid, (sums.get(uid) ?? 0) + v);
    const all = [...sums.values()].reduce((a, b) => a + b, 0) || 1;
    return payFigures(run.peers.map((p) => ({ ...p, weight: (sums.get(p.uid) ?? 0) / all, penalties: 0 })));
  };
  console.log(`  paid over all ${run.windows.length} windows, as run: ${describe({ ...total(asRun.weights), honestPenalties: figuresOf(run, asRun.book, undefined).honestPenalties })}`);
  console.log(`  paid over all ${run.windows.length} windows, changed: ${describe({ ...total(changed.weights), honestPenalties: figuresOf(run, changed.book, undefined).honestPenalties })}`);
}
