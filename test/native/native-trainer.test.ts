import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointSpacing } from '../../main/adapters/trainer/checkpoint-spacing';
import type { NativeTrainer } from '../../main/adapters/trainer/native-trainer';
import type { StepProgress } from '../../main/ports/trainer-port';
import { makeTempDir } from '../support/temp-dir';
import { makeTrainerShards, tinyTrainer, TRAINER_BINARY, TRAINER_NOT_BUILT, trainerBuilt } from '../support/tiny-trainer';
import { skippedUnless } from '../support/skip-note';

if (!trainerBuilt) console.log(`native trainer tests skipped: ${TRAINER_BINARY} is not built (npm run build:native)`);

describe.skipIf(!trainerBuilt)(`NativeTrainer (the real tandem-trainer behind the TrainerPort)${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let dataDir: string;
  let trainer: NativeTrainer;

  beforeAll(() => {
    temp = makeTempDir();
    dataDir = path.join(temp.dir, 'data');
    makeTrainerShards(dataDir);
    trainer = tinyTrainer({
      innerSteps: 3,
      dataDir,
      checkpointFile: path.join(temp.dir, 'trainer.safetensors'),
      peerId: 'peer-7',
      logger: pino({ level: 'silent' }),
      heartbeatSeconds: 1,
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

  it('with spaced checkpoints, skips the checkpoint between spaced steps; killed, it comes back holding the older window', async () => {
    const spacing = new CheckpointSpacing({ windowSeconds: 1, maxWindows: 3, share: 1 });
    const file = path.join(temp.dir, 'spaced.safetensors');
    const spaced = tinyTrainer({ innerSteps: 3, dataDir, checkpointFile: file, checkpointSpacing: spacing, peerId: 'peer-8', logger: pino({ level: 'silent' }), heartbeatSeconds: 1 });
    spaced.start();
    try {
      const step = async (window: number) => {
        const trained = await spaced.trainWindow({ window, innerSteps: 3, peerUid: 8, payloadFile: path.join(temp.dir, `spaced-${window}.tndc`) }, () => {});
        return spaced.applyOuter({ window, payloadFiles: [trained.payloadFile], lr: 0.4 });
      };
      await step(1); // untimed: written
      const written = fs.statSync(file).mtimeMs;
      spacing.wrote(1e6); // as if that write had taken ages: the next is 3 steps away
      await step(2);
      await step(3);
      expect(fs.statSync(file).mtimeMs).toBe(written);
      expect(await spaced.appliedWindow()).toBe(3);
      process.kill(spaced.supervisor.state.pid!, 'SIGKILL');
      // The supervisor starts it again from the checkpoint: it holds window 1, and the engine replays 2 and 3.
      await expect.poll(() => spaced.supervisor.state.restarts, { timeout: 20_000 }).toBe(1);
      expect(await spaced.appliedWindow()).toBe(1);
      await step(4);
      await step(5);
      await step(6); // three steps after the last write: written again
      expect(fs.statSync(file).mtimeMs).toBeGreaterThan(written);
      expect(await spaced.appliedWindow()).toBe(6);
    } finally {
      await spaced.stop();
    }
  });

  it('passes shard lists to the trainer: evaluate on the listed files, train on the listed files', async () => {
    const valFiles = fs.readdirSync(dataDir).filter((f) => f.includes('val')).sort().map((f) => path.join(dataDir, f));
    expect(valFiles.length).toBeGreaterThan(0);
    // Without the list the trainer would evaluate its train split (the default): a different loss.
    const bySplit = await trainer.evaluate({ peerId: 'validator', window: 4, steps: 1, split: 'val' });
    const byList = await trainer.evaluate({ peerId: 'validator', window: 4, steps: 1, shards: valFiles });
    expect(byList.lossBefore).toBe(bySplit.lossBefore);
    expect(trainer.hello?.capabilities).toContain('shard_lists');
    // A window on a listed file the trainer cannot read fails with its data_error, naming the file.
    const missing = path.join(temp.dir, 'missing_train_000000.bin');
    const window = trainer.trainWindow({ window: 4, innerSteps: 1, peerUid: 7, payloadFile: path.join(temp.dir, 'w4.tndc'), shards: [missing] }, () => {});
    await expect(window).rejects.toThrow(/missing_train_000000\.bin/);
    await expect(window).rejects.toMatchObject({ code: 'data_error' });
  });

  it('a second trainer that loads this one\u2019s checkpoint holds the same weights and window, and keeps them across its own restart', async () => {
    const result = await trainer.trainWindow({ window: 6, innerSteps: 2, peerUid: 7, payloadFile: path.join(temp.dir, 'w6.tndc') }, () => {});
    const applied = await trainer.applyOuter({ window: 6, payloadFiles: [result.payloadFile], lr: 0.4 });
    const joinerCheckpoint = path.join(temp.dir, 'joiner.safetensors');
    const joiner = tinyTrainer({ innerSteps: 2, dataDir, checkpointFile: joinerCheckpoint, peerId: 'peer-8', logger: pino({ level: 'silent' }) });
    joiner.start();
    try {
      expect(await joiner.appliedWindow()).toBeNull();
      const download = path.join(temp.dir, 'download.safetensors');
      fs.copyFileSync(path.join(temp.dir, 'trainer.safetensors'), download);
      expect(await joiner.restoreCheckpoint(download)).toBe(6);
      // The file became the joiner's own checkpoint.
      expect(fs.existsSync(download)).toBe(false);
      expect(fs.readFileSync(joinerCheckpoint).equals(fs.readFileSync(path.join(temp.dir, 'trainer.safetensors')))).toBe(true);
      // One more aggregate, the same on both: the same digest, so the weights were the same before it.
      const both = [result.payloadFile];
      const mine = await trainer.applyOuter({ window: 7, payloadFiles: both, lr: 0.4 });
      const theirs = await joiner.applyOuter({ window: 7, payloadFiles: both, lr: 0.4 });
      expect(theirs.modelDigest).toBe(mine.modelDigest);
      expect(theirs.modelDigest).not.toBe(applied.modelDigest);
      // The same model proves itself alike for a key; another key, another proof; a model one step apart, none alike.
      const keys = ['7:7', '8:7'];
      const [myProofs, theirProofs] = [await trainer.modelProofs(keys), await joiner.modelProofs(keys)];
      expect(myProofs).toEqual(theirProofs);
      expect(myProofs![0]).toMatch(/^[0-9a-f]{16}$/);
      expect(myProofs![0]).not.toBe(myProofs![1]);
      expect(myProofs![0]).not.toBe(mine.modelDigest);
      await joiner.applyOuter({ window: 8, payloadFiles: both, lr: 0.4 });
      expect(await joiner.modelProofs(keys)).not.toContain(myProofs![0]);
      expect(trainer.hello?.capabilities).toContain('model_proofs');
    } finally {
      await joiner.stop();
    }
  });
  it('stages a payload once (the codec\u2019s reason when it refuses one) and applies staged payloads like their files, also after a restart', async () => {
    const result = await trainer.trainWindow({ window: 8, innerSteps: 2, peerUid: 7, payloadFile: path.join(temp.dir, 'w8.tndc') }, () => {});
    await trainer.revertWindow(8);
    await trainer.checkpoint();
    const twinCheckpoint = path.join(temp.dir, 'twin.safetensors');
    const twin = tinyTrainer({ innerSteps: 2, dataDir, checkpointFile: twinCheckpoint, peerId: 'peer-9', logger: pino({ level: 'silent' }) });
    twin.start();
    try {
      const copy = path.join(temp.dir, 'twin-download.safetensors');
      fs.copyFileSync(path.join(temp.dir, 'trainer.safetensors'), copy);
      await twin.restoreCheckpoint(copy);
      expect(trainer.hello?.capabilities).toContain('staged_payloads');

      const corrupt = path.join(temp.dir, 'w8-corrupt.tndc');
      const bytes = fs.readFileSync(result.payloadFile);
      bytes[30] = (bytes[30] as number) ^ 0xff;
      fs.writeFileSync(corrupt, bytes);
      const refused = await trainer.stagePayload({ key: '8/9', file: corrupt });
      expect(refused).toMatchObject({ ok: false });
      expect(refused.ok ? '' : refused.reason).toMatch(/^checksum: .*checksum/);

      expect(await trainer.stagePayload({ key: '8/7', file: result.payloadFile })).toEqual({ ok: true });
      const staged = await trainer.applyOuter({ window: 8, payloadFiles: [result.payloadFile], staged: ['8/7'], lr: 0.4 });
      const fromFiles = await twin.applyOuter({ window: 8, payloadFiles: [result.payloadFile], lr: 0.4 });
      expect(staged.modelDigest).toBe(fromFiles.modelDigest);

      // Staged, then the trainer dies: the restarted one stages it again from its file, and the step is the same.
      expect(await trainer.stagePayload({ key: '9/7', file: result.payloadFile })).toEqual({ ok: true });
      const pid = trainer.supervisor.state.pid!;
      const restarts = trainer.supervisor.state.restarts;
      process.kill(pid, 'SIGKILL');
      await expect.poll(() => trainer.supervisor.state.restarts, { timeout: 20_000 }).toBe(restarts + 1);
      const again = await trainer.applyOuter({ window: 9, payloadFiles: [result.payloadFile], staged: ['9/7'], lr: 0.4 });
      const twinAgain = await twin.applyOuter({ window: 9, payloadFiles: [result.payloadFile], lr: 0.4 });
      expect(again.modelDigest).toBe(twinAgain.modelDigest);
      await trainer.unstage(['8/9', '9/7']);
    } finally {
      await twin.stop();
    }
  });

  it('makes a named outer step while the next window trains; the step after it is a swap with the same weights', async () => {
    const update = await trainer.trainWindow({ window: 10, innerSteps: 2, peerUid: 7, payloadFile: path.join(temp.dir, 'w10.tndc') }, () => {});
    await trainer.revertWindow(10);
    await trainer.checkpoint();
    const twin = tinyTrainer({ innerSteps: 2, dataDir, checkpointFile: path.join(temp.dir, 'twin-prepare.safetensors'), peerId: 'peer-7', logger: pino({ level: 'silent' }) });
    twin.start();
    try {
      const copy = path.join(temp.dir, 'twin-prepare-download.safetensors');
      fs.copyFileSync(path.join(temp.dir, 'trainer.safetensors'), copy);
      await twin.restoreCheckpoint(copy);
      expect(trainer.hello?.capabilities).toContain('prepared_outer');
      for (const t of [trainer, twin]) expect(await t.stagePayload({ key: '10/7', file: update.payloadFile })).toEqual({ ok: true });
      // Named before window 11 trains (as the gather of window 10 ends): made while it trains.
      expect(await trainer.prepareOuter({ window: 10, baseWindow: 11, staged: ['10/7'], lr: 0.4 })).toBe(true);
      // Keys the trainer does not hold are not named to it.
      expect(await trainer.prepareOuter({ window: 10, baseWindow: 11, staged: ['10/99'], lr: 0.4 })).toBe(false);
      for (const t of [trainer, twin]) await t.trainWindow({ window: 11, innerSteps: 2, peerUid: 7, payloadFile: path.join(temp.dir, `w11-${t === twin ? 'twin' : 'me'}.tndc`) }, () => {});
      const prepared = await trainer.applyOuter({ window: 10, payloadFiles: [update.payloadFile], staged: ['10/7'], lr: 0.4 });
      const plain = await twin.applyOuter({ window: 10, payloadFiles: [update.payloadFile], staged: ['10/7'], lr: 0.4 });
      expect(prepared.prepared).toBe(true);
      expect(plain.prepared).toBe(false);
      expect(prepared.modelDigest).toBe(plain.modelDigest);
    } finally {
      await twin.stop();
    }
  });

  it('keeps the model an outer step started from when asked, and evaluates on it: bit for bit the losses from before the step', async () => {
    const update = await trainer.trainWindow({ window: 12, innerSteps: 2, peerUid: 7, payloadFile: path.join(temp.dir, 'w12.tndc') }, () => {});
    await trainer.revertWindow(12);
    expect(trainer.hello?.capabilities).toContain('previous_model');
    const probe = { peerId: '7', window: 12, steps: 2, payloadFile: update.payloadFile, lr: 0.4 };
    const before = await trainer.evaluate(probe);
    await trainer.applyOuter({ window: 12, payloadFiles: [update.payloadFile], lr: 0.4, keepPrevious: true });
    expect(await trainer.evaluate({ ...probe, base: 'previous' })).toEqual(before);
    expect((await trainer.evaluate(probe)).lossBefore).not.toBe(before.lossBefore);
    // A step that is not asked to keep it drops it: nothing to evaluate on.
    await trainer.applyOuter({ window: 13, payloadFiles: [update.payloadFile], lr: 0.4 });
    await expect(trainer.evaluate({ ...probe, base: 'previous' })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
