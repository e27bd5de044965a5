import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { until, useDevnet } from '../support/devnet-peers';
import { makeTrainerShards, tinyModelManifest, tinyTrainer, TRAINER_NOT_BUILT, trainerBuilt } from '../support/tiny-trainer';
import { skippedUnless } from '../support/skip-note';

describe.skipIf(!trainerBuilt)(`RoundEngine with the real trainer killed mid-window${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}`, () => {
  // Its teardown stops the engine, then the trainer.
  const bed = useDevnet(150, 'all');

  it('restarts the trainer, resumes from the checkpoint, and loses only the window it was killed in', async () => {
    const dataDir = path.join(bed.dir, 'data');
    makeTrainerShards(dataDir);
    const trainerLog: Array<{ msg: string; resumed?: boolean }> = [];
    const checkpointFile = path.join(bed.dir, 'trainer.safetensors');
    // Enough inner steps that a kill at the first one lands mid-window.
    const innerSteps = 100;
    const trainer = tinyTrainer({
      innerSteps,
      dataDir,
      checkpointFile,
      peerId: '0',
      logger: pino({ level: 'info' }, { write: (line: string) => void trainerLog.push(JSON.parse(line)) }),
      heartbeatSeconds: 1,
      restartPolicy: { backoff: { initialMs: 100, maxMs: 1000, factor: 2 }, breaker: { maxCrashes: 5, windowMs: 60_000 } },
    });
    trainer.start();
    const manifest = tinyModelManifest('engine-kill-test', {
      root: bed.dir,
      shards: dataDir,
      sparseloco: { innerSteps, outerLr: 0.7 },
      windows: { blocksPerWindow: 10, blockSeconds: 0.15, uploadDeadlineSeconds: 3, perPeerTimeoutSeconds: 2, gatherCapSeconds: 3 },
    });
    let killAt: number | null = null;
    let killed: number | null = null;
    const { engine, ledger } = await bed.devnet.add('Alice', {
      manifest,
      trainer: () => trainer,
      engine: {
        peerStorage: () => undefined,
        onState: (s) => {
          // kill -9 in the middle of a window's inner steps, once a checkpoint exists.
          if (killAt !== null && killed === null && s.window !== null && s.window >= killAt && s.timeline.some((span) => span.phase === 'training' && span.endedAt === null) && s.innerStep >= 1 && s.innerStep < 50) {
            const pid = trainer.supervisor.state.pid;
            if (pid) {
              killed = s.window;
              process.kill(pid, 'SIGKILL');
            }
          }
        },
      },
    });
    await engine.join();
    const waitFor = (what: string, probe: () => Promise<boolean>) => until(probe, async () => `timed out waiting for ${what}: ${JSON.stringify((await ledger.read()).records)}`);
    await waitFor('a first applied window', async () => engine.current.completedRounds >= 1 && fs.existsSync(checkpointFile));
    killAt = engine.current.window! + 1;
    await waitFor('the kill and two more rounds', async () => killed !== null && (await ledger.summaries()).filter((s) => s.window > killed! && s.phases.includes('applied')).length >= 2);
    await engine.leave('after-round');

    expect(trainer.supervisor.state.restarts).toBe(1);
    expect(trainerLog.filter((l) => l.msg === 'trainer ready').map((l) => l.resumed)).toEqual([false, true]);
    const summaries = await ledger.summaries();
    const lost = (await ledger.read()).records.filter((r) => r.reason?.startsWith('training failed'));
    expect(lost.map((r) => r.window)).toEqual([killed]);
    expect(lost[0]!.reason).toMatch(/exited \(SIGKILL\)/);
    // Every other window from the first to the last was trained, and every window's aggregate applied.
    const first = summaries[0]!.window;
    const last = summaries.at(-1)!.window;
    for (let w = first; w <= last; w++) {
      const s = summaries.find((x) => x.window === w);
      if (w !== killed) expect(s?.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'gathered', 'applied']));
    }
  });
});
