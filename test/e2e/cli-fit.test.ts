import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FIT_PART_WORDS } from '../../contract/domains/fit';
import { S3Storage } from '../../main/adapters/storage/s3-storage';
import { devnetManifest } from '../../main/devnet/devnet-manifest';
import { resourceLayout } from '../../main/platform/resources';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import { CPU_MEMORY_DEVICE, runFitTest, type FitResult } from '../../main/services/fit/fit-test';
import { LLAMA_72B } from '../../main/services/hardware/memory-fit';
import { startLocalS3, type LocalS3 } from '../support/local-s3-server';
import { REPO_ROOT, runCli } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

const lastFitIn = (home: string) => JSON.parse(fs.readFileSync(path.join(home, 'data', 'fit', 'last-fit.json'), 'utf8')) as { ledgerFile: string; result: FitResult };

/**
 * `tandem fit` end to end with the built CLI and the real trainer. On the
 * devnet, which shares this computer, the fit is a short trial of a
 * throwaway devnet (its simulated peers, validator, chain and S3 server);
 * on any other network, a few steps trained alone and a real update put
 * into and gathered from this peer's bucket.
 */
describe('tandem fit', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  const lastFit = () => lastFitIn(temp.dir);

  it('on the devnet: a trial of the devnet on this computer, its windows after the validator’s idle ones measured, the answer with the numbers', async () => {
    const { code, stdout, stderr } = await runCli(['fit'], { TANDEM_HOME: temp.dir });
    // Stopping the trial devnet (its validator mid-judging included) is not an error.
    expect(stderr).toBe('');
    expect(stdout).toContain('Fit test for tandem-devnet on devnet');
    expect(stdout).toContain(`[1/2] ${FIT_PART_WORDS.memory}…`);
    expect(stdout).toContain(`[2/2] ${FIT_PART_WORDS.trial}…`);
    expect(stdout).toContain('5 of 5 windows done');
    const saved = lastFit().result;
    expect(saved.notes).toContainEqual(expect.stringMatching(/^measured in a trial of the devnet on this computer \(its 3 simulated peers, its validator, chain and storage\), windows \d+, \d+, \d+ measured \(the median\), after the 2 first/));
    expect(stdout).toMatch(/^Answer: (will earn|will earn less because .+|cannot keep up: .+)\.$/m);
    // Exit 1 only when it cannot keep up (a slow, shared CI machine may be too slow for the devnet's windows).
    expect(code).toBe(saved.verdict.outcome === 'cannot-keep-up' ? 1 : 0);
    const m = saved.measurement;
    // Whole windows, as the joined peer's ledger counts them; no separate step pace.
    expect(m.windowSeconds).toBeGreaterThan(0);
    expect(m.secondsPerInnerStep).toBeNull();
    expect(m.payloadBytes).toBeGreaterThan(1000);
    expect(m.uploadSeconds).toBeGreaterThan(0);
    expect(m.gatherSeconds).toBeGreaterThan(0);
    // The devnet's other peers are its three simulated ones: a gather there fetches three updates, not the run's eight.
    expect(m.gatherOf).toBe(3);
    expect(stdout).toContain('gather of 3 updates');
    // Its chain counted them: three simulated peers, this machine and the validator.
    expect(m.peers).toBe(5);
    expect(saved.verdict.figures.map((f) => f.name)).toEqual(['memory', 'training', 'upload', 'gather']);
    expect(stdout).toContain(`one update is ${(m.payloadBytes! / 1024).toFixed(1)} KiB`);
  });

  it('answers “cannot keep up: memory” for a model too big for the simulated GPU, before training anything', async () => {
    const manifest = path.join(temp.dir, 'big-run.json');
    fs.writeFileSync(manifest, JSON.stringify({ version: 1, name: 'big-run', protocolVersion: '1', model: LLAMA_72B, data: { shards: 'bundled:sotu' }, chain: { network: 'devnet', netuid: 3 } }));
    const { code, stdout } = await runCli(['fit', '--manifest', manifest], { TANDEM_HOME: temp.dir, TANDEM_SIMULATE_GPU: '1' });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Answer: cannot keep up: memory \(the model needs [\d.]+ GiB but simulated GPU has 21\.6 GiB to give it\)\.$/m);
    expect(stdout).not.toContain(FIT_PART_WORDS.training);
    expect(lastFit().result.measurement.secondsPerInnerStep).toBeNull();
  });

  it('--compare: says when there is nothing to compare, then sets the predictions beside the windows trained after the fit', async () => {
    const none = await runCli(['fit', '--compare'], { TANDEM_HOME: temp.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no fit test yet: run `tandem fit` first');

    // A fit's record as `tandem fit` keeps it (the trial itself is the first test's), with the devnet's ledger.
    const predicted = { name: 'training' as const, label: '40 inner steps and compression', predicted: 12, limit: 15, unit: 'seconds' as const, ok: true };
    const gatherFigure = { name: 'gather' as const, label: 'gather of 3 updates', predicted: 0.3, limit: 30, unit: 'seconds' as const, ok: true };
    const ledgerFile = path.join(temp.dir, 'data', 'devnet', 'peers', 'me', 'rounds.ndjson');
    fs.mkdirSync(path.join(temp.dir, 'data', 'fit'), { recursive: true });
    // Memory as a CPU trial measured it: 200 MiB of the trainer's resident memory.
    const memory = { neededBytes: 200 * 2 ** 20, availableBytes: 16 * 2 ** 30, device: CPU_MEMORY_DEVICE, measured: true };
    const memoryFigure = { name: 'memory' as const, label: `memory on ${CPU_MEMORY_DEVICE}`, predicted: memory.neededBytes, limit: 14 * 2 ** 30, unit: 'bytes' as const, ok: true };
    const measurement = { memory, secondsPerInnerStep: 0.3, compressSeconds: 0.1, payloadBytes: 4000, uploadSeconds: 0.05, gatherSeconds: 0.3, gatherOf: 3, peers: 4 };
    const result = { measuredAt: new Date().toISOString(), notes: [], measurement, verdict: { outcome: 'will-earn', headline: 'will earn', figures: [memoryFigure, predicted, gatherFigure], shareOfMedian: 1, advice: [] } };
    fs.writeFileSync(path.join(temp.dir, 'data', 'fit', 'last-fit.json'), JSON.stringify({ network: 'devnet', runName: 'tandem-devnet', ledgerFile, result }));
    const saved = lastFit();
    const waiting = await runCli(['fit', '--compare'], { TANDEM_HOME: temp.dir });
    expect(waiting.stdout).toContain('No window trained since then.');

    // The ledger the app writes as it joins: one window before the fit (ignored) and six after: the devnet's
    // two first, with its validator idle (shown, marked), then three as the fit predicts them; the sixth is left out.
    const ledger = new RoundLedger(saved.ledgerFile);
    fs.mkdirSync(path.dirname(saved.ledgerFile), { recursive: true });
    const after = Date.parse(saved.result.measuredAt) + 1000;
    await ledger.append({ window: 6, at: after - 60_000, phase: 'trained', phaseSeconds: { training: 99 } });
    for (const [i, window] of [7, 8, 9, 10, 11, 12].entries()) {
      await ledger.append({ window, at: after + i * 15_000, phase: 'trained', phaseSeconds: { training: 10 + i }, memoryBytes: (210 + i) * 2 ** 20 });
      await ledger.append({ window, at: after + i * 15_000 + 1, phase: 'uploaded', phaseSeconds: { uploading: 0.5 } });
      // The gather waited 7 s for the others' uploads, of which 0.25 s was downloading: the transfer is compared.
      await ledger.append({ window, at: after + i * 15_000 + 2, phase: 'gathered', phaseSeconds: { gathering: 7 }, transferSeconds: 0.25 });
    }
    const compared = await runCli(['fit', '--compare'], { TANDEM_HOME: temp.dir });
    expect(compared.code).toBe(0);
    const header = compared.stdout.split('\n').find((l) => l.includes('predicted'));
    expect(header).toMatch(/window 7\*\s+window 8\*\s+window 9\s+window 10\s+window 11$/);
    expect(compared.stdout).toContain("* the devnet's first 2 windows: its validator has nothing to judge yet");
    const training = compared.stdout.split('\n').find((l) => l.trim().startsWith('training'));
    expect(training).toMatch(/10 s \([+-]\d+ %\)\s+11 s \([+-]\d+ %\)\s+12 s \([+-]\d+ %\)\s+13 s \([+-]\d+ %\)\s+14 s \([+-]\d+ %\)$/);
    expect(compared.stdout).not.toContain('99 s');
    const gather = compared.stdout.split('\n').find((l) => l.trim().startsWith('gather'));
    expect(gather).toMatch(/(0\.3 s \([+-]\d+ %\)\s+){4}0\.3 s \([+-]\d+ %\)$/);
    expect(gather).not.toContain('7 s');
    // The trainer's resident memory in each window against the fit's, on a CPU.
    const memoryRow = compared.stdout.split('\n').find((l) => l.trim().startsWith('memory'));
    expect(memoryRow).toMatch(/^\s+memory\s+200\.0 MiB\s+210\.0 MiB \(\+5 %\)\s+211\.0 MiB \(\+6 %\)\s+212\.0 MiB \(\+6 %\)\s+213\.0 MiB \(\+7 %\)\s+214\.0 MiB \(\+7 %\)$/);
  });
});

/**
 * The fit on a network that does not share this computer (any but the
 * devnet): the run's model trained alone for a few steps by the real
 * trainer, a real update put into and gathered from this peer's bucket (a
 * local S3 server here). The same function `tandem fit --network …` and the
 * guide call; no chain here, so the peers are not counted and it says so.
 */
describe('the fit test on a network elsewhere', () => {
  let s3: LocalS3;
  beforeAll(async () => (s3 = await startLocalS3({ bucket: 'fit-peer' })));
  afterAll(async () => s3?.stop());

  it('trains a few steps alone, times the upload and the gather against the bucket, and leaves the bucket as it was', async () => {
    const layout = resourceLayout({ appRoot: REPO_ROOT });
    const storage = new S3Storage({ endpoint: s3.endpoint, region: 'auto', bucket: s3.bucket, forcePathStyle: true, ...s3.credentials });
    const parts: string[] = [];
    const result = await runFitTest({
      manifest: devnetManifest(),
      device: { gpus: [], simulated: false },
      trainerExecutable: layout.trainerExecutable,
      corpusDir: layout.devnetCorpus,
      logger: pino({ level: 'silent' }),
      storage,
      chain: null,
      measureSteps: 3,
      onProgress: (part) => parts.push(part),
    });
    expect(parts).toEqual(['memory', 'training', 'upload', 'gather']);
    const m = result.measurement;
    expect(m.secondsPerInnerStep).toBeGreaterThan(0);
    expect(m.windowSeconds).toBeUndefined();
    expect(m.payloadBytes).toBeGreaterThan(1000);
    expect(m.uploadSeconds).toBeGreaterThan(0);
    expect(m.gatherSeconds).toBeGreaterThan(0);
    // No chain to count the peers: the run's eight gather peers are assumed.
    expect(m.gatherOf).toBe(devnetManifest().windows.gatherPeers);
    expect(result.notes).toContain('peers not counted: no chain to ask');
    // The trainer's own resident memory, on the CPU.
    expect(m.memory?.measured).toBe(true);
    // Training = the measured step pace times the run's steps plus compression.
    const training = result.verdict.figures.find((f) => f.name === 'training')!;
    expect(training.predicted).toBeCloseTo(m.secondsPerInnerStep! * devnetManifest().sparseloco.innerSteps + m.compressSeconds!, 6);
    expect(await storage.list('tandem-fit/')).toEqual([]);
  });
});
