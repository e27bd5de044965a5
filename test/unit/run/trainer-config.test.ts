import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDevnetRuntime, type DevnetRuntime } from '../../../main/devnet/devnet-runtime';
import { trainerDevice } from '../../../main/adapters/trainer/trainer-config';
import { trainerGpuEnv } from '../../../main/services/guard/gpu-selection';
import { NativeTrainer, TrainerCommandError } from '../../../main/adapters/trainer/native-trainer';
import { makeTempDir } from '../../support/temp-dir';

const logger = pino({ level: 'silent' });

/**
 * A stand-in trainer on this machine without a GPU: it says hello, records
 * every load it is sent (with the GPUs it was shown), answers a CUDA load as
 * the real one does without a device, and refuses everything else.
 */
function fakeTrainer(dir: string, loads: string): string {
  const file = path.join(dir, 'fake-trainer');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const out = (event) => process.stdout.write(JSON.stringify({ v: 1, ...event }) + '\\n');
out({ event: 'hello', protocol: 1, trainer_version: 'stand-in', backend: 'cpu', cuda_compiled: true, devices: [], no_device_reason: 'no CUDA device', capabilities: ['revert_window', 'fsdp'], nccl: { available: false }, pid: process.pid });
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  if (c.cmd === 'shutdown') process.exit(0);
  if (c.cmd === 'load') fs.appendFileSync(${JSON.stringify(loads)}, JSON.stringify({ pid: process.pid, visible: process.env.CUDA_VISIBLE_DEVICES ?? null, load: c }) + '\\n');
  if (c.id === undefined) return;
  if (c.cmd === 'load' && c.backend === 'cuda') out({ event: 'error', id: c.id, code: 'no_cuda_device', message: 'no CUDA device: cudaGetDeviceCount failed (no CUDA-capable device is detected).' });
  else out({ event: 'error', id: c.id, code: 'internal', message: 'a stand-in trainer' });
});
`;
  fs.writeFileSync(file, script, { mode: 0o755 });
  return file;
}

interface LoadRecord {
  pid: number;
  visible: string | null;
  load: { backend?: string; devices?: number[]; threads?: number };
}

describe('Settings → Train on, from the setting to the trainer', () => {
  it('maps cpu to the CPU, and gpu to CUDA with FSDP devices 0…n−1 once two or more GPUs are chosen', () => {
    expect(trainerDevice('cpu', [0, 1])).toEqual({ backend: 'cpu' });
    expect(trainerDevice('gpu', null)).toEqual({ backend: 'cuda' });
    expect(trainerDevice('gpu', [2])).toEqual({ backend: 'cuda' });
    // CUDA_VISIBLE_DEVICES=1,3 renumbers them 0 and 1 inside the trainer; a repeated index is one GPU.
    expect(trainerDevice('gpu', [3, 1, 3])).toEqual({ backend: 'cuda', devices: [0, 1] });
    expect(trainerDevice('gpu', [0, 1, 2, 5])).toEqual({ backend: 'cuda', devices: [0, 1, 2, 3] });
  });

  describe('in the devnet', () => {
    let temp: ReturnType<typeof makeTempDir>;
    let runtime: DevnetRuntime | undefined;
    beforeEach(() => (temp = makeTempDir()));
    afterEach(async () => {
      await runtime?.close();
      runtime = undefined;
      temp.cleanup();
    });

    it("sends this machine's trainer backend cuda with the devices; simulated peers and the validator stay on the CPU; no device is a clear error", async () => {
      const loads = path.join(temp.dir, 'loads.ndjson');
      const root = path.join(temp.dir, 'devnet');
      // Shards already there: the devnet does not ask the stand-in to prepare data.
      fs.mkdirSync(path.join(root, 'shards', 'sotu'), { recursive: true });
      fs.writeFileSync(path.join(root, 'shards', 'sotu', 'sotu_train_000.bin'), '');
      runtime = await createDevnetRuntime({
        root,
        trainerExecutable: fakeTrainer(temp.dir, loads),
        corpusDir: temp.dir,
        logger,
        onState: () => undefined,
        simulatedPeers: 1,
        // Only this machine's trainer gets 3 threads: that is how its load is told apart below.
        trainerThreads: 3,
        trainerEnv: trainerGpuEnv([1, 3]),
        trainerDevice: trainerDevice('gpu', [1, 3]),
      });

      expect(runtime.trainer).toBeInstanceOf(NativeTrainer);
      const trainer = runtime.trainer as NativeTrainer;
      const failure = await trainer.checkpoint().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(TrainerCommandError);
      expect((failure as TrainerCommandError).code).toBe('no_cuda_device');
      expect((failure as TrainerCommandError).message).toMatch(/^GPU training could not start: no CUDA device: .*detected\)\. .*switch Settings → Train on back to CPU/);
      // Not a crash: the trainer answered and is still up, ready for the next try.
      expect(trainer.supervisor.state.status).toBe('running');

      // The validator loads on its own first evaluation; the simulated peer at its first window.
      await runtime.heldOutLoss(1).catch(() => undefined);
      const read = (): LoadRecord[] => (fs.existsSync(loads) ? fs.readFileSync(loads, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoadRecord) : []);
      await expect.poll(() => new Set(read().filter((r) => r.load.threads !== 3).map((r) => r.pid)).size, { timeout: 60_000, interval: 200 }).toBe(2);

      const mine = read().filter((r) => r.load.threads === 3);
      expect(mine.length).toBeGreaterThan(0);
      for (const r of mine) {
        expect(r.load).toMatchObject({ backend: 'cuda', devices: [0, 1] });
        expect(r.visible).toBe('1,3');
      }
      for (const r of read().filter((r) => r.load.threads !== 3)) {
        expect(r.load.backend).toBe('auto');
        expect(r.load.devices).toBeUndefined();
      }
    }, 90_000);
  });
});
