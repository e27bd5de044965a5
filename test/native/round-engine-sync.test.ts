import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NativeTrainer } from '../../main/adapters/trainer/native-trainer';
import { roundsDone, useDevnet, type DevnetPeer } from '../support/devnet-peers';
import { makeTrainerShards, tinyModelManifest, tinyTrainer, TRAINER_NOT_BUILT, trainerBuilt } from '../support/tiny-trainer';
import { skippedUnless } from '../support/skip-note';

describe.skipIf(!trainerBuilt)(`overlapped rounds with the real trainer${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}`, () => {
  // Its teardown stops the engines, then the trainers.
  const bed = useDevnet(150, 'all');
  const peers: Array<DevnetPeer<NativeTrainer>> = [];

  it('two peers that train different data and apply the delayed aggregates end with bit-identical models', async () => {
    const dataDir = path.join(bed.dir, 'data');
    makeTrainerShards(dataDir);
    const innerSteps = 4;
    const manifest = tinyModelManifest('engine-sync-test', {
      root: bed.dir,
      shards: dataDir,
      sparseloco: { innerSteps, outerLr: 0.7 },
      windows: { blocksPerWindow: 10, blockSeconds: 0.15, uploadDeadlineSeconds: 3, perPeerTimeoutSeconds: 3, gatherCapSeconds: 4 },
    });
    const nativeTrainer = (name: string) => (uid: number) => {
      const trainer = tinyTrainer({ innerSteps, dataDir, checkpointFile: path.join(bed.dir, name, 'trainer.safetensors'), peerId: String(uid), logger: pino({ level: 'silent' }) });
      trainer.start();
      return trainer;
    };
    for (const name of ['Alice', 'Bob']) peers.push(await bed.devnet.add(name, { manifest, trainer: nativeTrainer(name) }));
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3, 90_000);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // Both applied the same windows, each with both peers' updates...
    const appliedWindows = await Promise.all(peers.map(async (p) => (await p.ledger.summaries()).filter((s) => s.phases.includes('applied')).map((s) => s.window)));
    expect(appliedWindows[0]).toEqual(appliedWindows[1]);
    expect(appliedWindows[0]!.length).toBeGreaterThanOrEqual(3);
    // ...and their models agree to the last bit: the same loss on the same held-out batches.
    const losses = await Promise.all(peers.map((p) => p.trainer.evaluate({ peerId: 'probe', window: 0, steps: 2, split: 'val' })));
    expect(Number.isFinite(losses[0]!.lossBefore)).toBe(true);
    expect(losses[1]!.lossBefore).toBe(losses[0]!.lossBefore);
  });
});
