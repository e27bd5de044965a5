import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeTrainer } from '../../main/adapters/trainer/native-trainer';
import { initialWeightsProblem, placeInitialWeights } from '../../main/services/run/initial-weights';
import type { RunManifest } from '../../main/ports/run-manifest';
import { trainerModel } from '../../main/adapters/trainer/trainer-config';
import { startShardServer, type ShardServer } from '../support/shard-http-server';
import { makeTempDir } from '../support/temp-dir';
import { skippedUnless } from '../support/skip-note';
import { makeTrainerShards, TINY_MODEL, tinyModelManifest, tinyTrainer, TRAINER_BINARY, TRAINER_NOT_BUILT, trainerBuilt } from '../support/tiny-trainer';

const logger = pino({ level: 'silent' });

describe.skipIf(!trainerBuilt)(`a run that starts from given weights (checkpoints.initial)${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}`, () => {
  const temp = makeTempDir('tandem-initial-');
  const dataDir = path.join(temp.dir, 'data');
  const initialFile = path.join(temp.dir, 'initial.safetensors');
  const windowFile = path.join(temp.dir, 'after-a-window.safetensors');
  let server: ShardServer;
  let initialLoss: number;
  let seededLoss: number;

  /** The run's manifest with its initial weights at `route` of the test server. */
  const runStartingAt = (route: string): RunManifest => {
    const bytes = fs.readFileSync(initialFile);
    const manifest = tinyModelManifest('initial-test', { root: temp.dir, shards: dataDir, sparseloco: { innerSteps: 2, outerLr: 0.4 }, windows: {} });
    return { ...manifest, checkpoints: { ...manifest.checkpoints, initial: { url: `${server.base}/${route}/initial.safetensors`, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') } } };
  };

  const evaluate = async (trainer: NativeTrainer) => (await trainer.evaluate({ peerId: 'validator', window: 1, steps: 1, split: 'val' })).lossBefore;

  beforeAll(async () => {
    makeTrainerShards(dataDir);
    // The owner's weights: the run's model from another seed, checkpointed before any window.
    const owner = new NativeTrainer({ executable: TRAINER_BINARY, model: { ...TINY_MODEL, init_seed: 11 }, train: { seq_len: 32, batch_size: 2, inner_steps: 2, lr: 1e-3, warmup_steps: 0 }, threads: 1, dataDir, checkpointFile: initialFile, peerId: 'owner', logger });
    owner.start();
    try {
      initialLoss = await evaluate(owner);
      await owner.checkpoint();
      // The same trainer after one outer step: a checkpoint that holds a window.
      const trained = await owner.trainWindow({ window: 1, innerSteps: 2, peerUid: 1, payloadFile: path.join(temp.dir, 'w1.tndc') }, () => {});
      fs.copyFileSync(initialFile, path.join(temp.dir, 'keep.safetensors'));
      await owner.applyOuter({ window: 1, payloadFiles: [trained.payloadFile], lr: 0.4 });
      fs.renameSync(initialFile, windowFile);
      fs.renameSync(path.join(temp.dir, 'keep.safetensors'), initialFile);
    } finally {
      await owner.stop();
    }
    const seeded = tinyTrainer({ innerSteps: 2, dataDir, checkpointFile: path.join(temp.dir, 'seeded.safetensors'), peerId: 'seeded', logger });
    seeded.start();
    try {
      seededLoss = await evaluate(seeded);
    } finally {
      await seeded.stop();
    }
    server = await startShardServer(new Map([['initial.safetensors', fs.readFileSync(initialFile)]]));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    temp.cleanup();
  });

  it('becomes a fresh peer\u2019s checkpoint, so its trainer starts from the owner\u2019s weights, not its seed; a peer with a checkpoint keeps it', async () => {
    expect(initialLoss).not.toBe(seededLoss);
    const checkpointFile = path.join(temp.dir, 'peer', 'trainer.safetensors');
    expect(await placeInitialWeights(runStartingAt('ok'), checkpointFile, { logger })).toBe(true);
    expect(fs.readFileSync(checkpointFile).equals(fs.readFileSync(initialFile))).toBe(true);
    const peer = tinyTrainer({ innerSteps: 2, dataDir, checkpointFile, peerId: 'peer', logger });
    peer.start();
    try {
      expect(await evaluate(peer)).toBe(initialLoss);
      expect(await peer.appliedWindow()).toBeNull();
    } finally {
      await peer.stop();
    }
    const before = server.requests.length;
    expect(await placeInitialWeights(runStartingAt('ok'), checkpointFile, { logger })).toBe(false);
    expect(server.requests.length).toBe(before);
  });

  it('a corrupt download is refused by its sha256 and leaves nothing in place; the next try fetches it again', async () => {
    const checkpointFile = path.join(temp.dir, 'flaky-peer', 'trainer.safetensors');
    await expect(placeInitialWeights(runStartingAt('flaky'), checkpointFile, { logger })).rejects.toThrow(/the run's initial weights could not be had: sha256 mismatch/);
    expect(fs.existsSync(checkpointFile)).toBe(false);
    expect(await placeInitialWeights(runStartingAt('flaky'), checkpointFile, { logger })).toBe(true);
    expect(fs.readFileSync(checkpointFile).equals(fs.readFileSync(initialFile))).toBe(true);
  });

  it('only a trainer checkpoint of the run\u2019s model holding no window is initial weights; each refusal says why', async () => {
    const model = { ...trainerModel(runStartingAt('ok').model) };
    expect(await initialWeightsProblem(initialFile, model)).toBeNull();
    expect(await initialWeightsProblem(windowFile, model)).toMatch(/holds the aggregate of window 1: initial weights hold none/);
    const notOne = path.join(temp.dir, 'not-a-checkpoint.safetensors');
    fs.writeFileSync(notOne, 'hello');
    expect(await initialWeightsProblem(notOne, model)).toMatch(/not a Tandem trainer checkpoint/);
    expect(await initialWeightsProblem(initialFile, { ...model, hidden_size: 64 })).toMatch(/its model is not the run's: hidden_size 32 where the manifest says 64/);
  });
});
