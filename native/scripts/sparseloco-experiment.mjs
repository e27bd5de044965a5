// The SparseLoCo experiment of `npm run bench:sparseloco` (issue 19): held-out
// loss of SparseLoCo against DiLoCo and a single replica at the same number
// of inner steps, for several communication intervals H, over seeds, with
// SparseLoCo's own outer-lr sweep. Each case (model, seed, mode, H, outer lr)
// is one run of bench_sparseloco; its per-round rows go to a CSV as soon as
// the case ends, and a case already in the CSV is not run again, so a long
// run can stop and go on later (--resume is the default; --fresh starts over).
//
//   --quick   the toy model (0.49M parameters), H 15 and 30, 120 inner steps
//             per replica, one seed, no sweep: a few minutes on 2 cores
//   (full)    the 3.5M-parameter model (hidden 256, 4 layers: every matrix
//             cut into many 64x64 chunks), H 15, 30 and 100, 300 inner steps
//             per replica (about 30 minutes on 2 cores with OpenBLAS;
//             H 100 then has 3 rounds: --steps 1500 for more), 2 seeds, the
//             sweep {0.7, 1.0, 1.4, 2.0} at H 30; it resumes from
//             bench/sparseloco/results/full.csv
//   --steps N, --h 15,30, --seeds N, --sweep 0.7,1.0,1.4, --sweep-h 30,
//   --replicas N, --csv FILE, --modes single,diloco,sparseloco, --jobs N
//   override them. --delayed applies each aggregate one round late, as the
//   app does (its own CSV: the default name with -delayed).
//   Cases run --jobs at a time (default: one per core), each
//   on one thread: on 2 cores two one-thread cases train about 40 % more
//   steps per second than one case on two threads.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';

const COLUMNS = ['model', 'seed', 'mode', 'h', 'outer_lr', 'replicas', 'round', 'inner_steps', 'val_loss', 'bytes_per_peer', 'seconds'];
/** DiLoCo's outer step as the paper tuned it (lr 0.7, Nesterov 0.9, built into the trainer's dense mode). */
const DILOCO_OUTER_LR = 0.7;

export function experimentPlan(args, root) {
  const value = (name) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
  };
  const list = (name, parse) => value(name)?.split(',').map(parse);
  const quick = args.includes('--quick');
  const plan = quick
    ? { model: 'small', steps: 120, hs: [15, 30], seeds: 1, sweep: [], sweepH: 30, replicas: 4, csv: join(root, 'build/bench-sparseloco-quick.csv') }
    : { model: '3m', steps: 300, hs: [15, 30, 100], seeds: 2, sweep: [0.7, 1.0, 1.4, 2.0], sweepH: 30, replicas: 4, csv: join(root, 'bench/sparseloco/results/full.csv') };
  plan.modes = list('--modes', String) ?? ['single', 'diloco', 'sparseloco'];
  plan.hs = list('--h', Number) ?? plan.hs;
  plan.sweep = list('--sweep', Number) ?? plan.sweep;
  plan.steps = Number(value('--steps') ?? plan.steps);
  plan.seeds = Number(value('--seeds') ?? plan.seeds);
  plan.sweepH = Number(value('--sweep-h') ?? plan.sweepH);
  plan.replicas = Number(value('--replicas') ?? plan.replicas);
  plan.model = value('--model') ?? plan.model;
  plan.csv = value('--csv') ?? plan.csv;
  plan.fresh = args.includes('--fresh');
  plan.jobs = Number(value('--jobs') ?? Math.max(1, availableParallelism()));
  plan.sparseLr = Number(value('--sparse-outer-lr') ?? 1.0);
  // --delayed: each aggregate applied one round late, as the app applies it; its cases go to their own CSV.
  plan.delayed = args.includes('--delayed');
  if (plan.delayed && value('--csv') === undefined) plan.csv = plan.csv.replace(/\.csv$/, '-delayed.csv');
  for (const h of plan.hs) {
    if (!(Number.isInteger(h) && h > 0 && plan.steps % h === 0)) throw new Error(`--h ${h}: each H must divide the ${plan.steps} inner steps per replica (--steps), so every mode trains the same tokens`);
  }
  return plan;
}

const caseKey = (c) => [c.model, c.seed, c.mode, c.h, c.outerLr, c.replicas].join('|');

function readRows(csv) {
  if (!existsSync(csv)) return [];
  const [header, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  if (header !== COLUMNS.join(',')) throw new Error(`${csv} is not this experiment's CSV (its header is ${header}); name another with --csv or start over with --fresh`);
  return lines.filter(Boolean).map((line) => {
    const cells = line.split(',');
    const row = Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]]));
    for (const c of COLUMNS) if (c !== 'model' && c !== 'mode') row[c] = Number(row[c]);
    return row;
  });
}

/** Runs one case; resolves with its rows (round 0 is the held-out loss at init). */
function runCase(binary, dataDir, c) {
  const args = ['--data-dir', dataDir, '--model', c.model, '--seed', String(c.seed), '--mode', c.mode, '--h', String(c.h), '--rounds', String(c.rounds), '--replicas', String(c.replicas), '--outer-lr', String(c.outerLr), '--outer-delay', c.delayed ? '1' : '0'];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { OMP_WAIT_POLICY: 'passive', OMP_NUM_THREADS: '1', ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${label(c)}: bench_sparseloco exited with ${code}`));
      const rows = out.split('\n').filter((l) => /^\d+,/.test(l)).map((l) => {
        const [round, innerSteps, loss, bytes, seconds] = l.split(',').map(Number);
        return { model: c.model, seed: c.seed, mode: c.mode, h: c.h, outer_lr: c.outerLr, replicas: c.replicas, round, inner_steps: innerSteps, val_loss: loss, bytes_per_peer: bytes, seconds };
      });
      resolve(rows);
    });
  });
}

const minutes = (ms) => `${(ms / 60_000).toFixed(1)} min`;
const label = (c) => `${c.mode} H=${c.h} lr=${c.outerLr} seed ${c.seed}`;

export async function runExperiment({ binary, dataDir, args, root }) {
  const plan = experimentPlan(args, root);
  mkdirSync(dirname(plan.csv), { recursive: true });
  if (plan.fresh || !existsSync(plan.csv)) writeFileSync(plan.csv, `${COLUMNS.join(',')}\n`);
  let rows = readRows(plan.csv);
  const done = new Set(rows.map((r) => caseKey({ model: r.model, seed: r.seed, mode: r.mode, h: r.h, outerLr: r.outer_lr, replicas: r.replicas })));
  const base = { model: plan.model, replicas: plan.replicas, delayed: plan.delayed };
  const started = Date.now();
  const run = async (c) => {
    const full = { ...base, ...c, rounds: plan.steps / c.h, replicas: c.mode === 'single' ? 1 : plan.replicas };
    if (done.has(caseKey(full))) return;
    const caseStart = Date.now();
    console.log(`  ${label(full)}: started`);
    const caseRows = await runCase(binary, dataDir, full);
    appendFileSync(plan.csv, caseRows.map((r) => COLUMNS.map((k) => r[k]).join(',')).join('\n') + '\n');
    rows = rows.concat(caseRows);
    done.add(caseKey(full));
    console.log(`  ${label(full)}: final held-out ${caseRows.at(-1).val_loss.toFixed(4)} (${minutes(Date.now() - caseStart)}; ${minutes(Date.now() - started)} in all)`);
  };
  const pool = async (cases) => {
    const queue = [...cases];
    await Promise.all(Array.from({ length: Math.min(plan.jobs, queue.length) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await run(c);
    }));
  };
  console.log(`SparseLoCo experiment: model ${plan.model}, ${plan.replicas} replicas, ${plan.steps} inner steps per replica, H ${plan.hs.join(', ')}, ${plan.seeds} seed(s), ${plan.delayed ? 'each aggregate applied one round late (as the app does), ' : ''}${plan.jobs} case(s) at a time; CSV ${relative(root, plan.csv)}`);

  // First the sweep (seed 0), which picks SparseLoCo's outer lr, beside the cases that do not need it; then the rest of SparseLoCo's.
  const sweeping = plan.sweep.length > 0 && plan.modes.includes('sparseloco');
  const others = [];
  for (let seed = 0; seed < plan.seeds; seed++) {
    for (const h of plan.hs) for (const mode of plan.modes.filter((m) => m !== 'sparseloco')) others.push({ seed, mode, h, outerLr: mode === 'diloco' ? DILOCO_OUTER_LR : 0 });
  }
  await pool([...(sweeping ? plan.sweep.map((lr) => ({ seed: 0, mode: 'sparseloco', h: plan.sweepH, outerLr: lr })) : []), ...others]);
  const sparseLr = sweeping ? bestLr(rows, plan) : plan.sparseLr;
  const sparse = [];
  if (plan.modes.includes('sparseloco')) {
    for (let seed = 0; seed < plan.seeds; seed++) for (const h of plan.hs) sparse.push({ seed, mode: 'sparseloco', h, outerLr: sparseLr });
  }
  await pool(sparse);
  for (const line of report(rows, plan, sparseLr)) console.log(line);
}

const finalLoss = (rows, pick) => {
  const mine = rows.filter(pick);
  return mine.length === 0 ? null : mine.reduce((a, b) => (b.round > a.round ? b : a)).val_loss;
};

function bestLr(rows, plan) {
  let best = null;
  for (const lr of plan.sweep) {
    const loss = finalLoss(rows, (r) => r.model === plan.model && r.seed === 0 && r.mode === 'sparseloco' && r.h === plan.sweepH && r.outer_lr === lr);
    if (loss !== null && (best === null || loss < best.loss)) best = { lr, loss };
  }
  return best?.lr ?? plan.sparseLr;
}

/** The tables: the sweep, then per H each mode's held-out loss along the way and at the end (mean and spread over seeds), and bytes per round. */
export function report(rows, plan, sparseLr) {
  const lines = [];
  const fmt = (x) => (x === null ? '—' : x.toFixed(4));
  if (plan.sweep.length > 0) {
    lines.push('', `SparseLoCo outer-lr sweep (H ${plan.sweepH}, seed 0; final held-out loss):`);
    for (const lr of plan.sweep) {
      const loss = finalLoss(rows, (r) => r.model === plan.model && r.seed === 0 && r.mode === 'sparseloco' && r.h === plan.sweepH && r.outer_lr === lr);
      lines.push(`  outer lr ${String(lr).padEnd(5)} ${fmt(loss)}${lr === sparseLr ? '   ← used below' : ''}`);
    }
  }
  const marks = [0.25, 0.5, 1];
  lines.push('', `Held-out loss at 25 % / 50 % / 100 % of ${plan.steps} inner steps per replica; mean over seeds (± half the spread):`);
  lines.push(`  ${'H'.padEnd(4)} ${'mode'.padEnd(11)} ${'outer lr'.padEnd(9)} ${'25 %'.padStart(8)} ${'50 %'.padStart(8)} ${'final'.padStart(17)} ${'seeds'.padStart(5)} ${'bytes/round/peer'.padStart(17)} ${'vs DiLoCo'.padStart(10)}`);
  for (const h of plan.hs) {
    const dilocoBytes = meanOf(rows.filter((r) => r.model === plan.model && r.mode === 'diloco' && r.h === h && r.round > 0).map((r) => r.bytes_per_peer));
    for (const mode of plan.modes) {
      const lr = mode === 'sparseloco' ? sparseLr : mode === 'diloco' ? DILOCO_OUTER_LR : 0;
      const mine = rows.filter((r) => r.model === plan.model && r.mode === mode && r.h === h && r.outer_lr === lr);
      const seeds = [...new Set(mine.map((r) => r.seed))];
      if (seeds.length === 0) {
        lines.push(`  ${String(h).padEnd(4)} ${mode.padEnd(11)} (not run yet)`);
        continue;
      }
      const at = (fraction) => {
        const step = Math.round((plan.steps * fraction) / h) * h;
        const losses = seeds.map((s) => mine.find((r) => r.seed === s && r.inner_steps === step)?.val_loss).filter((x) => x !== undefined);
        return losses;
      };
      const [q, half, end] = marks.map(at);
      const spread = end.length > 1 ? ` ± ${((Math.max(...end) - Math.min(...end)) / 2).toFixed(4)}` : '';
      const bytes = meanOf(mine.filter((r) => r.round > 0).map((r) => r.bytes_per_peer));
      const ratio = mode === 'sparseloco' && dilocoBytes && bytes ? `${Math.round(dilocoBytes / bytes)}× less` : '';
      lines.push(`  ${String(h).padEnd(4)} ${mode.padEnd(11)} ${(mode === 'single' ? '—' : String(lr)).padEnd(9)} ${fmt(meanOf(q)).padStart(8)} ${fmt(meanOf(half)).padStart(8)} ${`${fmt(meanOf(end))}${spread}`.padStart(17)} ${String(end.length).padStart(5)} ${(bytes ? String(Math.round(bytes)) : '—').padStart(17)} ${ratio.padStart(10)}`);
    }
  }
  lines.push('', `Per-round rows (for plotting): ${plan.csv}`);
  return lines;
}

function meanOf(values) {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
