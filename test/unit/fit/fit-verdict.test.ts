import { describe, expect, it } from 'vitest';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { parseManifest } from '../../../main/ports/run-manifest';
import { gatherCount, measurementOfTrial, predictedMemory } from '../../../main/services/fit/fit-test';
import { fitRunOf, fitVerdict, type FitMeasurement, type FitRun } from '../../../main/services/fit/fit-verdict';
import { LLAMA_72B } from '../../../main/services/hardware/memory-fit';

const run: FitRun = { innerSteps: 30, windowSeconds: 100, uploadDeadlineSeconds: 20, gatherCapSeconds: 60, gatherPeers: 15 };
const GiB = 2 ** 30;
const healthy: FitMeasurement = {
  memory: { neededBytes: 10 * GiB, availableBytes: 24 * GiB, device: 'RTX 4090', measured: false },
  secondsPerInnerStep: 2,
  compressSeconds: 1,
  payloadBytes: 4_000_000,
  uploadSeconds: 3,
  gatherSeconds: 20,
  gatherOf: 15,
  peers: 40,
};

describe('fit verdict', () => {
  it('reads the run’s rhythm from its manifest', () => {
    const m = devnetManifest();
    expect(fitRunOf(m)).toEqual({ innerSteps: m.sparseloco.innerSteps, windowSeconds: m.windows.blocksPerWindow * m.windows.blockSeconds, uploadDeadlineSeconds: m.windows.uploadDeadlineSeconds, gatherCapSeconds: m.windows.gatherCapSeconds, gatherPeers: m.windows.gatherPeers });
  });

  it('will earn: every figure inside its limit with room, a full share', () => {
    const v = fitVerdict(healthy, run);
    expect(v.outcome).toBe('will-earn');
    expect(v.headline).toBe('will earn');
    expect(v.shareOfMedian).toBe(1);
    expect(v.figures.map((f) => [f.name, f.predicted, f.limit, f.ok])).toEqual([
      ['memory', 10 * GiB, 24 * GiB * 0.9, true],
      ['training', 61, 100, true],
      ['upload', 3, 20, true],
      ['gather', 20, 60, true],
    ]);
    expect(v.figures.find((f) => f.name === 'gather')?.label).toBe('gather of 15 updates');
    expect(fitVerdict({ ...healthy, gatherOf: 3 }, run).figures.find((f) => f.name === 'gather')?.label).toBe('gather of 3 updates');
    expect(v.advice).toEqual([]);
  });

  it('cannot keep up: memory, named first, with the numbers and what to change', () => {
    const v = fitVerdict({ ...healthy, memory: { ...healthy.memory!, neededBytes: 30 * GiB } }, run);
    expect(v.outcome).toBe('cannot-keep-up');
    expect(v.headline).toMatch(/^cannot keep up: memory \(the model needs 30\.0 GiB but RTX 4090 has 21\.6 GiB/);
    expect(v.shareOfMedian).toBe(0);
    expect(v.advice.join(' ')).toMatch(/GPUs/);
  });

  it('cannot keep up: training that cannot end by the deadline trains every other window', () => {
    const v = fitVerdict({ ...healthy, secondsPerInnerStep: 4.5 }, run);
    expect(v.outcome).toBe('cannot-keep-up');
    expect(v.headline).toMatch(/^cannot keep up: training \(30 inner steps take 136 s/);
    expect(v.shareOfMedian).toBe(0.5);
  });

  it('will earn less: training past the window but inside the deadline, or close to its limit', () => {
    const past = fitVerdict({ ...healthy, secondsPerInnerStep: 3.4, uploadSeconds: 1 }, run);
    expect(past.outcome).toBe('will-earn-less');
    expect(past.headline).toMatch(/training runs 3\.0 s past the window.s end/);
    const close = fitVerdict({ ...healthy, secondsPerInnerStep: 2.9 }, run);
    expect(close.outcome).toBe('will-earn-less');
    expect(close.headline).toMatch(/training uses 88 % of the window/);
  });

  it('an upload after the deadline cannot keep up; a slow gather earns less', () => {
    expect(fitVerdict({ ...healthy, uploadSeconds: 25 }, run).headline).toMatch(/^cannot keep up: upload/);
    const slowGather = fitVerdict({ ...healthy, gatherSeconds: 90 }, run);
    expect(slowGather.outcome).toBe('will-earn-less');
    expect(slowGather.headline).toMatch(/gather takes 90 s, past the 60 s cap/);
  });

  it('takes a whole window’s measured time over steps × pace when the test trained one', () => {
    const training = (m: FitMeasurement) => fitVerdict(m, run).figures.find((f) => f.name === 'training')?.predicted;
    expect(training(healthy)).toBe(61);
    expect(training({ ...healthy, windowSeconds: 75 })).toBe(75);
    expect(training({ ...healthy, windowSeconds: null })).toBe(61);
  });

  it('says nothing it did not measure', () => {
    const v = fitVerdict({ memory: null, secondsPerInnerStep: null, compressSeconds: null, payloadBytes: null, uploadSeconds: null, gatherSeconds: null, gatherOf: null, peers: null }, run);
    expect(v.figures).toEqual([]);
    expect(v.shareOfMedian).toBeNull();
    expect(v.outcome).toBe('will-earn');
  });

  it('a gather fetches the run’s gather peers, or every other peer when there are fewer', () => {
    expect(gatherCount(run, 40)).toBe(15);
    expect(gatherCount(run, 5)).toBe(4);
    expect(gatherCount(run, 1)).toBe(1);
    expect(gatherCount(run, null)).toBe(15);
  });

  it('predicts a 72B model cannot fit one 24 GiB card, and is shared over many', () => {
    const big = parseManifest({ version: 1, name: 'big', protocolVersion: '1', model: { ...LLAMA_72B }, data: { shards: 'bundled:sotu' }, chain: { network: 'devnet', netuid: 3 } }, 'test');
    const one = predictedMemory(big, { gpus: [{ name: 'card', vramBytes: 24 * GiB }], simulated: true });
    expect(one.neededBytes).toBeGreaterThan(one.availableBytes);
    const many = predictedMemory(big, { gpus: Array.from({ length: 64 }, () => ({ name: 'card', vramBytes: 80 * GiB })), simulated: false });
    expect(many.neededBytes).toBeLessThan(one.neededBytes / 32);
    expect(many.device).toBe('each of 64 × card');
  });
});

describe('a trial’s figures', () => {
  const window = (n: number, training: number, upload: number, gather: number) => ({ window: n, trainingSeconds: training, uploadSeconds: upload, gatherSeconds: gather, payloadBytes: 4000 + n });

  it('are the median of its measured windows, each figure on its own', () => {
    const m = measurementOfTrial({ windows: [window(3, 0.5, 0.09, 0.02), window(4, 0.9, 0.03, 0.05), window(5, 0.6, 0.05, 0.01)], gatherOf: 3, peers: 5, who: 'a trial' });
    expect(m).toEqual({ windowSeconds: 0.6, payloadBytes: 4004, uploadSeconds: 0.05, gatherSeconds: 0.02, gatherOf: 3, peers: 5 });
    // The verdict takes the trial's whole window as the training figure.
    const verdict = fitVerdict({ memory: null, secondsPerInnerStep: null, compressSeconds: null, ...m }, { innerSteps: 40, windowSeconds: 15, uploadDeadlineSeconds: 10, gatherCapSeconds: 30, gatherPeers: 8 });
    expect(verdict.figures.find((f) => f.name === 'training')?.predicted).toBe(0.6);
  });

  it('are refused when the trial measured no window', () => {
    expect(() => measurementOfTrial({ windows: [], gatherOf: 3, peers: 5, who: 'a trial' })).toThrow('the trial measured no window');
  });
});
