import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIT_PART_WORDS } from '../../contract/domains/fit';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import type { FitResult } from '../../main/services/fit/fit-test';
import { LLAMA_72B } from '../../main/services/hardware/memory-fit';
import { runCli } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

/**
 * `tandem fit` end to end with the built CLI and the real trainer: the devnet
 * run trained for a few steps on this machine's CPU, a real update put into
 * and gathered from a bucket, the answer printed and kept for --compare.
 */
describe('tandem fit', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  const lastFit = () => JSON.parse(fs.readFileSync(path.join(temp.dir, 'data', 'fit', 'last-fit.json'), 'utf8')) as { ledgerFile: string; result: FitResult };

  it('trains the devnet run for real, times an update’s upload and gather, and answers with the numbers', async () => {
    const { code, stdout, stderr } = await runCli(['fit', '--steps', '3'], { TANDEM_HOME: temp.dir });
    expect(stderr).toBe('');
    expect(stdout).toContain('Fit test for tandem-devnet on devnet');
    expect(stdout).toContain(`[2/5] ${FIT_PART_WORDS.training}…`);
    // Timed as the joined devnet will train: beside its simulated peers and validator, on this CPU.
    expect(lastFit().result.notes).toContainEqual(expect.stringMatching(/^a whole window trained, and the update put and gathered, beside the devnet's 3 simulated peers and its validator \(4 trainers, one CPU thread each; the validator busy throughout\)/));
    expect(stdout).toMatch(/^Answer: (will earn|will earn less because .+|cannot keep up: .+)\.$/m);
    const saved = lastFit().result;
    // Exit 1 only when it cannot keep up (a slow, shared CI machine may be too slow for the devnet's windows).
    expect(code).toBe(saved.verdict.outcome === 'cannot-keep-up' ? 1 : 0);
    const m = saved.measurement;
    expect(m.secondsPerInnerStep).toBeGreaterThan(0);
    expect(m.payloadBytes).toBeGreaterThan(1000);
    expect(m.uploadSeconds).toBeGreaterThan(0);
    expect(m.gatherSeconds).toBeGreaterThan(0);
    // The devnet's other peers are its three simulated ones: a gather there fetches three updates, not the run's eight.
    expect(m.gatherOf).toBe(3);
    expect(stdout).toContain('gather of 3 updates');
    expect(m.memory?.measured).toBe(true);
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

    await runCli(['fit', '--steps', '2'], { TANDEM_HOME: temp.dir });
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
      await ledger.append({ window, at: after + i * 15_000, phase: 'trained', phaseSeconds: { training: 10 + i } });
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
  });
});
