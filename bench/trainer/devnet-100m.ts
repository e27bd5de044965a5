// A 100M-parameter model trained on the CPU through the normal devnet path (issue 22, acceptance 2).
//   npm run bench:devnet-100m [-- --rounds 2] [--inner-steps 3] [--layers 16] [--keep]
// Writes a devnet run manifest for a LLaMA of about 100M parameters (16
// layers, 768 wide, the bundled byte-level corpus), runs `tandem devnet run
// --peers 1 --manifest <it>` (this machine's peer, one simulated peer and the
// validator, each with its own trainer), and when it has done its rounds
// prints, for each window this machine trained, the training time, the loss
// and the trainer's largest resident memory, beside the memory the app
// predicted before anything ran (cpu-memory-plan.ts, the trainer's own sums).
// Slow on purpose: windows are sized for three 100M trainers on two cores.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { devnetManifestDocument } from '../../main/devnet/devnet-manifest';
import { parseManifest } from '../../main/ports/run-manifest';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import { planCpuMemory } from '../../main/services/hardware/cpu-memory-plan';
import { parameterCount } from '../../main/services/hardware/memory-fit';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: a whole number of at least 1`);
  return value;
};
const rounds = option('rounds', 2);
const innerSteps = option('inner-steps', 3);
const layers = option('layers', 16);

const devnet = devnetManifestDocument();
const manifest = parseManifest(
  {
    ...devnet,
    name: 'tandem-devnet-100m',
    model: { layers, hiddenSize: 768, heads: 12, kvHeads: 4, ffnSize: 2048, vocabSize: 258, sequenceLength: 128, tiedEmbeddings: true },
    optimizer: { ...devnet.optimizer, lr: 6e-4, warmupSteps: 2, batchSize: 4 },
    sparseloco: { ...devnet.sparseloco, innerSteps },
    // Three trainers of 100M parameters share this machine's cores, and the validator judges each update by forward passes.
    windows: { ...devnet.windows, blocksPerWindow: 30, blockSeconds: 6, uploadDeadlineSeconds: 90, perPeerTimeoutSeconds: 120, gatherCapSeconds: 300 },
  },
  'bench:devnet-100m',
);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-devnet-100m-'));
const manifestFile = path.join(work, 'run.json');
fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
const plan = planCpuMemory(manifest.model, { seqLen: manifest.model.sequenceLength, batchSize: manifest.optimizer.batchSize, availableBytes: os.freemem() });
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(`bench:devnet-100m: ${(parameterCount(manifest.model) / 1e6).toFixed(1)}M parameters, ${innerSteps} inner steps of ${manifest.optimizer.batchSize} × ${manifest.model.sequenceLength} tokens a window, ${rounds} rounds; in ${work}`);
console.log(`predicted before anything ran (the trainer's own sums): ${mib(plan.stepBytes)} for the steps (${mib(plan.stateBytes)} state + ${mib(plan.activationBytes)} for a micro-batch of ${plan.microBatch})`);

const devnetRoot = path.join(work, 'devnet');
const started = Date.now();
const child = spawn(process.execPath, [path.join(root, 'bin', 'tandem.mjs'), 'devnet', 'run', '--peers', '1', '--rounds', String(rounds), '--root', devnetRoot, '--manifest', manifestFile], {
  env: { ...process.env, TANDEM_HOME: path.join(work, 'home') },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (code !== 0) {
  console.error(`tandem devnet run exited with ${code} after ${minutes} min; its log is in ${devnetRoot}`);
  process.exit(1);
}

const windows = (await new RoundLedger(path.join(devnetRoot, 'peers', 'me', 'rounds.ndjson')).summaries()).filter((w) => w.phases.includes('trained'));
console.log(`\n${windows.length} windows trained by this machine in ${minutes} min:`);
console.log('  window  training s  loss    largest resident memory  of the predicted');
let worst = 0;
for (const w of windows) {
  const memory = w.memoryBytes;
  if (memory !== undefined) worst = Math.max(worst, memory / plan.stepBytes);
  const share = memory === undefined ? '—' : `${((memory / plan.stepBytes) * 100).toFixed(0)} %`;
  console.log(`  ${String(w.window).padStart(6)}  ${(w.phaseSeconds['training'] ?? 0).toFixed(0).padStart(10)}  ${(w.loss ?? Number.NaN).toFixed(3).padStart(6)}  ${(memory === undefined ? '—' : mib(memory)).padStart(23)}  ${share.padStart(16)}`);
}
// The resident memory also holds the executable, its libraries and the data (a few tens of MiB): the plan is of the model's part.
console.log(`\nlargest resident memory / predicted: ${(worst * 100).toFixed(0)} % (${worst <= 1.1 ? 'within' : 'above'} the predicted bound with a tenth for the executable, libraries and data)`);
if (!args.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
