import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeTrainer } from '../../main/round/native-trainer';
import type { StepProgress } from '../../main/round/trainer-port';
import { REPO_ROOT } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

const BINARY = path.join(REPO_ROOT, 'build', 'trainer', 'tandem-trainer');
const built = fs.existsSync(BINARY);
if (!built) console.log(`native trainer tests skipped: ${BINARY} is not built (npm run build:native)`);

const tinyModel = {
  vocab_size: 258,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 32,
  init_seed: 7,
};

describe.skipIf(!built)('NativeTrainer (the real tandem-trainer behind the TrainerPort)', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let dataDir: string;
  let trainer: NativeTrainer;

  beforeAll(() => {
    temp = makeTempDir();
    dataDir = path.join(temp.dir, 'data');
    const made = spawnSync(process.execPath, [path.join(REPO_ROOT, 'native', 'scripts', 'trainer-corpus.mjs'), dataDir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`could not make shards: ${made.stderr}`);
    trainer = new NativeTrainer({
      executable: BINARY,
      model: tinyModel,
      train: { seq_len: 32, batch_size: 2, inner_steps: 3, lr: 1e-3, warmup_steps: 0 },
      dataDir,
      checkpointFile: path.join(temp.dir, 'trainer.safetensors'),
      peerId: 'peer-7',
      logger: pino({ level: 'silent' }),
      heartbeatSeconds: 1,
      threads: 1,
    });
    trainer.start();
  });

  afterAll(async () => {
    await trainer?.stop();
    temp?.cleanup();
  });

  it('trains a window, writes a codec payload, applies the outer step and checkpoints', async () => {
    const steps: StepProgress[] = [];
    const result = await trainer.trainWindow({ window: 1, innerSteps: 3, peerUid: 7, payloadFile: path.join(temp.dir, 'w1.tndc') }, (s) => steps.push(s));
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(fs.readFileSync(result.payloadFile).subarray(0, 4).toString()).toBe('TNDC');
    const applied = await trainer.applyOuter({ window: 1, payloadFiles: [result.payloadFile], lr: 0.4 });
    // The validators' sync check compares this digest with the global model's.
    expect(applied.modelDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(fs.existsSync(path.join(temp.dir, 'trainer.safetensors'))).toBe(true);
    expect(trainer.hello?.backend).toBe('cpu');
  });

  it('survives kill -9 mid-window: that window fails, the restarted trainer resumes from the checkpoint', async () => {
    // A long window, killed once at its first step: the kill lands mid-window even when steps are quick.
    let killedPid: number | null = null;
    const killed = trainer.trainWindow({ window: 2, innerSteps: 100_000, peerUid: 7, payloadFile: path.join(temp.dir, 'w2.tndc') }, () => {
      const pid = trainer.supervisor.state.pid;
      if (pid && killedPid === null) {
        killedPid = pid;
        process.kill(pid, 'SIGKILL');
      }
    });
    await expect(killed).rejects.toThrow(/exited/);
    // The supervisor restarts it; the next window loads the checkpoint written after window 1.
    const next = await trainer.trainWindow({ window: 3, innerSteps: 3, peerUid: 7, payloadFile: path.join(temp.dir, 'w3.tndc') }, () => {});
    expect(next.steps).toBe(3);
    expect(trainer.supervisor.state.restarts).toBe(1);
    await trainer.applyOuter({ window: 3, payloadFiles: [next.payloadFile], lr: 0.4 });
  });
});
