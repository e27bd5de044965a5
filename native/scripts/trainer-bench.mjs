#!/usr/bin/env node
// Trainer benchmarks (figures only; speed targets never live in tests).
//   node native/scripts/trainer-bench.mjs trainer [--full] [--steps N] [--threads N] [--reference]
//       CPU: three model sizes up to 90.7M parameters, each training step's
//       GFLOP/s beside OpenBLAS's sgemm at the model's own GEMM shapes, as
//       "NN % of sgemm" (quick by default, about a minute on 2 cores; --full
//       is longer, four sizes, and times our kernel too)
//   node native/scripts/trainer-bench.mjs trainer --cuda [--steps 20] [--peak-tflops 989]
//       GPU tokens/s and MFU of the CUDA path (compare: bench/trainer/pytorch_reference.py)
//   node native/scripts/trainer-bench.mjs sparseloco [--quick] [options]
//       SparseLoCo vs DiLoCo vs single at equal inner steps, over H, seeds
//       and an outer-lr sweep: held-out loss per round as CSV, the tables,
//       bytes per round (sparseloco-experiment.mjs; needs the devnet corpus
//       shards, made on demand)
// Builds build/trainer-bench (Release, CPU; build/trainer-bench-cuda with
// nvcc for --cuda) quietly first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const [which, ...args] = process.argv.slice(2);
const cuda = args.includes('--cuda');
const buildDir = join(root, cuda ? 'build/trainer-bench-cuda' : 'build/trainer-bench');
const target = { trainer: 'bench_trainer', sparseloco: 'bench_sparseloco' }[which ?? ''];
if (!target) {
  console.error('usage: trainer-bench.mjs trainer|sparseloco [options]');
  process.exit(2);
}

function quiet(label, command, commandArgs) {
  const r = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    console.error(`bench:${which} failed: ${label} (${r.error?.message ?? `exit code ${r.status}`})`);
    process.exit(1);
  }
}

quiet('configure', 'cmake', ['-S', join(root, 'native/trainer'), '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release',
  `-DTANDEM_TRAINER_CUDA=${cuda ? 'ON' : 'OFF'}`, '-DTANDEM_TRAINER_BUILD_BENCH=ON']);
quiet('build', 'cmake', ['--build', buildDir, '--parallel', String(cpus().length), '--target', target]);
const benchArgs = [...args];
if (which === 'sparseloco' && !args.includes('--data-dir')) {
  const dataDir = join(root, 'build/trainer-data');
  if (!existsSync(join(dataDir, 'sotu_val_000000.bin'))) {
    quiet('build tandem-trainer', process.execPath, [join(root, 'native/scripts/trainer-build.mjs')]);
    quiet('prepare corpus', process.execPath, [join(root, 'native/scripts/trainer-corpus.mjs')]);
  }
  benchArgs.push('--data-dir', dataDir);
}
if (which === 'sparseloco') {
  const { runExperiment } = await import('./sparseloco-experiment.mjs');
  const dataDir = benchArgs[benchArgs.indexOf('--data-dir') + 1];
  await runExperiment({ binary: join(buildDir, target), dataDir, args, root }).catch((error) => {
    console.error(`bench:sparseloco failed: ${error.message}`);
    process.exit(1);
  });
  process.exit(0);
}
const r = spawnSync(join(buildDir, target), benchArgs, {
  cwd: root,
  stdio: 'inherit',
  env: { OMP_WAIT_POLICY: 'passive', ...process.env },
});
process.exit(r.status ?? 1);
