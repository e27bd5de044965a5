// Round benchmark (figures only; no pass/fail). Runs the local devnet with
// every peer's storage traffic going to a real S3 server (the devnet's: SigV4
// checked, s3rver behind it) through its own shaped link: 110 Mb/s up and
// 500 Mb/s down, a burst of at most one TCP window and a 40 ms round trip
// (test/support/throttle-proxy.ts, whose limits a unit test checks), and
// prints compute utilization and communication seconds per round for this
// machine's peer.
//   npm run bench:round [-- --rounds 5 --peers 2 --inner-steps 500 --blocks-per-window 10 --block-seconds 1.5 --rtt-ms 40 --sequential]
// At a real model's size (issue 20; model-round.ts): the round engine with a stand-in for the GPU's inner steps,
// real codec payloads of the model and 20 simulated peers gathered:
//   npm run bench:round -- --model 1b|8b|72b [--rounds 3 --peers 20 --compute-seconds S | --tokens-per-second T --block-seconds 12 --cache-dir D]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDevnetRuntime } from '../../main/devnet/devnet-runtime';
import { startThrottleProxy, type ThrottleProxy } from '../../test/support/throttle-proxy';
import { freePort } from './free-port';
import { MODEL_SIZES, type ModelSize } from './model-payload';
import { runModelRound } from './model-round';
import { roundFigures, utilization } from './round-figures';

const MBIT = 1_000_000 / 8;

const { values } = parseArgs({
  options: {
    // Defaults differ between the devnet run (5 rounds, 2 peers) and --model (3 rounds of minutes-long windows, the published 20 peers): below.
    rounds: { type: 'string' },
    peers: { type: 'string' },
    'blocks-per-window': { type: 'string' },
    'block-seconds': { type: 'string' },
    // The app's devnet runs 40 inner steps in a 15 s window, leaving room for slow CPUs; the
    // benchmark fills more of the window, as a real run sizes its windows to the compute
    // (500 steps: about 9 s of a 15 s window on 2 shared cores, with the other peers training).
    'inner-steps': { type: 'string', default: '500' },
    'up-mbit': { type: 'string', default: '110' },
    'down-mbit': { type: 'string', default: '500' },
    'rtt-ms': { type: 'string', default: '40' },
    sequential: { type: 'boolean', default: false },
    model: { type: 'string' },
    'compute-seconds': { type: 'string' },
    'tokens-per-second': { type: 'string' },
    'cache-dir': { type: 'string' },
  },
});
const modelMode = values.model !== undefined;
const rounds = Number(values.rounds ?? (modelMode ? 3 : 5));
const peers = Number(values.peers ?? (modelMode ? 20 : 2));
for (const [name, value] of [['--rounds', rounds], ['--peers', peers]] as const) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench:round: ${name} takes a whole number of at least 1`);
    process.exit(1);
  }
}
const repo = path.resolve(import.meta.dirname, '../..');
const executable = path.join(repo, 'build', 'trainer', 'tandem-trainer');
if (!fs.existsSync(executable)) {
  console.error(`bench:round needs the trainer: ${executable} is missing (npm run build:native)`);
  process.exit(1);
}
if (values.model !== undefined) {
  if (!(values.model in MODEL_SIZES)) {
    console.error(`bench:round: --model takes ${Object.keys(MODEL_SIZES).join(', ')}, not ${values.model}`);
    process.exit(1);
  }
  await runModelRound({
    model: values.model as ModelSize,
    rounds,
    peers,
    upMbit: Number(values['up-mbit']),
    downMbit: Number(values['down-mbit']),
    rttMs: Number(values['rtt-ms']),
    blockSeconds: values['block-seconds'] ? Number(values['block-seconds']) : 12,
    ...(values['compute-seconds'] ? { computeSeconds: Number(values['compute-seconds']) } : {}),
    ...(values['tokens-per-second'] ? { tokensPerSecond: Number(values['tokens-per-second']) } : {}),
    sequential: values.sequential,
    cacheDir: values['cache-dir'] ?? path.join(os.tmpdir(), 'tandem-bench-payloads'),
    trainerExecutable: executable,
    corpusDir: path.join(repo, 'native', 'data', 'sotu'),
  });
  process.exit(0);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-round-'));
// Each peer's requests to the devnet's S3 server (the port chosen here) go through a shaped link of its own.
const storagePort = await freePort();
const links = new Map<string, { proxy: ThrottleProxy }>();
const viewers = ['alice', 'bob', 'charlie', 'dave', 'eve', 'me', 'validator'];
for (const viewer of viewers) {
  const proxy = await startThrottleProxy({
    targetPort: storagePort,
    upBytesPerSecond: Number(values['up-mbit']) * MBIT,
    downBytesPerSecond: Number(values['down-mbit']) * MBIT,
    rttMs: Number(values['rtt-ms']),
  });
  links.set(viewer, { proxy });
}

const windowStartedAt = new Map<number, number>();
let blocksPerWindow = 10;
// Warnings go to stderr while measuring; shutting the devnet down mid-window is noise.
let quiet = false;
const logger = pino({ level: 'warn' }, { write: (line: string) => void (quiet || process.stderr.write(line)) });
console.log(`bench:round: devnet with ${peers} simulated peers + this machine + validator; S3 (devnet server) behind ${values['up-mbit']} Mb/s up / ${values['down-mbit']} Mb/s down per peer, ${values['rtt-ms']} ms round trip; ${values['inner-steps']} inner steps a window; ${values.sequential ? 'sequential' : 'overlapped'} schedule; ${rounds} measured rounds`);
const runtime = await createDevnetRuntime({
  root,
  trainerExecutable: executable,
  corpusDir: path.join(repo, 'native', 'data', 'sotu'),
  logger,
  simulatedPeers: peers,
  storagePort,
  route: (viewer, endpoint) => {
    const link = links.get(viewer);
    if (!link) throw new Error(`no link for ${viewer}`);
    if (new URL(endpoint).port !== String(storagePort)) throw new Error(`${viewer} asked for ${endpoint}, not the devnet's S3 server`);
    return link.proxy.url;
  },
  tuneManifest: (m) => {
    const windows = {
      ...m.windows,
      ...(values['blocks-per-window'] ? { blocksPerWindow: Number(values['blocks-per-window']) } : {}),
      ...(values['block-seconds'] ? { blockSeconds: Number(values['block-seconds']) } : {}),
      // The schedule is the run's: --sequential names it in the manifest every peer and the validator read.
      ...(values.sequential ? { overlapCommunication: false } : {}),
    };
    blocksPerWindow = windows.blocksPerWindow;
    const sparseloco = { ...m.sparseloco, innerSteps: Number(values['inner-steps']) };
    return { ...m, windows, sparseloco };
  },
  onState: (state) => {
    if (state.block === null) return;
    const w = Math.floor(state.block / blocksPerWindow);
    if (!windowStartedAt.has(w) && state.block % blocksPerWindow === 0) windowStartedAt.set(w, Date.now());
  },
});

try {
  await runtime.engine.join();
  // One warm-up round (joining mid-window, first loads) plus the measured ones, plus one to close the last span.
  const want = rounds + 2;
  const started = Date.now();
  for (;;) {
    const { records } = await runtime.ledger.read();
    const trained = new Set(records.filter((r) => r.phase === 'trained').map((r) => r.window));
    if (trained.size >= want) break;
    if (Date.now() - started > (want + 4) * 120_000) throw new Error(`only ${trained.size} of ${want} windows trained`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await runtime.engine.leave('after-round');
  const { records } = await runtime.ledger.read();
  const figures = roundFigures(records, windowStartedAt).slice(1, rounds + 1);
  const missed = records.filter((r) => r.phase === 'missed');

  console.log('\nwindow  wall s  compute s  outer step s  comm s (upload+gather)  exposed comm s  window slack s');
  for (const f of figures) {
    console.log(`${String(f.window).padStart(6)}  ${f.wall.toFixed(2).padStart(6)}  ${f.compute.toFixed(2).padStart(9)}  ${f.outerStep.toFixed(2).padStart(12)}  ${f.communication.toFixed(2).padStart(23)}  ${f.exposedCommunication.toFixed(2).padStart(14)}  ${f.windowSlack.toFixed(2).padStart(14)}`);
  }
  const u = utilization(figures);
  const mean = (pick: (f: (typeof figures)[number]) => number) => figures.reduce((s, f) => s + pick(f), 0) / Math.max(1, figures.length);
  const { up, down } = links.get('me')!.proxy.bytes;
  // The headline is compute over wall time, idle included: what a GPU owner pays for against what it trained.
  console.log(`\ncompute utilization (compute s of the windows that counted / wall s, idle included): ${(u.raw * 100).toFixed(1)} %`);
  console.log(`  without the devnet's window slack (compute / (compute + exposed comm)): ${(u.withoutSlack * 100).toFixed(1)} %`);
  console.log(`communication per round: ${mean((f) => f.communication).toFixed(2)} s, exposed (not hidden behind compute): ${mean((f) => f.exposedCommunication).toFixed(2)} s`);
  console.log(`this peer sent ${(up / 1024).toFixed(0)} KiB and received ${(down / 1024).toFixed(0)} KiB over ${rounds + 2} windows (${(up / 1024 / (rounds + 2)).toFixed(0)} KiB up a window)`);
  console.log(
    'notes: compute = the trainer\'s inner steps (with compression and the payload written); outer step = applying the gathered updates;\n' +
      '  exposed comm = idle time waiting on upload/gather;\n' +
      '  window slack = idle time after the work was done, waiting for the chain to open the next window (devnet windows leave room for slow\n' +
      "  CPUs; this benchmark fills more of them with --inner-steps 500). All peers share this machine's cores, so compute times swing with its load.\n" +
      '  The devnet model is small (~107k parameters): its payloads are a few KiB, so these links carry far less than a real run\'s would.',
  );
  if (missed.length > 0) console.log(`missed windows: ${missed.map((m) => `${m.window} (${m.reason ?? '?'})`).join('; ')}`);
} finally {
  quiet = true;
  await runtime.close();
  for (const { proxy } of links.values()) await proxy.close();
  fs.rmSync(root, { recursive: true, force: true });
}
