import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RoundState } from '../../../contract/domains/round';
import { useDevnet } from '../../support/devnet-peers';
import { tinyModelManifest, tinyTrainer } from '../../support/tiny-trainer';

const logger = pino({ level: 'silent' });

describe('a trainer that crashes on start', () => {
  // Its teardown stops the engine, then the trainer.
  const bed = useDevnet(50);

  it('opens the breaker after 5 crashes and the round state turns to error with its last stderr lines', async () => {
    // A "trainer" that dies at once, saying why on stderr, as a broken install would.
    const executable = path.join(bed.dir, 'broken-trainer');
    const starts = path.join(bed.dir, 'starts');
    fs.writeFileSync(executable, `#!/bin/sh\necho x >> '${starts}'\necho 'fatal: libcudart.so.12: cannot open shared object file' >&2\necho 'hint: install the CUDA runtime' >&2\nexit 3\n`, { mode: 0o755 });
    const trainer = tinyTrainer({
      executable,
      innerSteps: 3,
      dataDir: bed.dir,
      checkpointFile: path.join(bed.dir, 'trainer.safetensors'),
      peerId: '0',
      logger,
      restartPolicy: { backoff: { initialMs: 20, maxMs: 200, factor: 2 }, breaker: { maxCrashes: 5, windowMs: 60_000 } },
    });
    const manifest = tinyModelManifest('crash-loop-test', {
      root: bed.dir,
      shards: bed.dir,
      sparseloco: { innerSteps: 3, outerLr: 1 },
      windows: { blocksPerWindow: 10, blockSeconds: 0.05, uploadDeadlineSeconds: 2, perPeerTimeoutSeconds: 2, gatherCapSeconds: 4 },
    });
    const { engine, ledger, states } = await bed.devnet.add('Alice', { manifest, trainer: () => trainer, engine: { peerStorage: () => undefined, validatePayload: async () => ({ ok: true }) } });
    trainer.start();
    await engine.join();

    // What the UI is streamed: phase error, with the crash loop and the trainer's own last words.
    const shown = await new Promise<RoundState>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no error state; last: ${JSON.stringify(states.at(-1))}`)), 30_000);
      const check = setInterval(() => {
        const hit = states.find((s) => s.phase === 'error' && s.blocker?.includes('cannot open shared object file'));
        if (!hit) return;
        clearInterval(check);
        clearTimeout(timer);
        resolve(hit);
      }, 20);
    });
    expect(shown.blocker).toMatch(/^training failed: stopped restarting: 5 crashes within 1 min \(last: exited with code 3\)/);
    expect(shown.blocker).toContain('fatal: libcudart.so.12: cannot open shared object file | hint: install the CUDA runtime');
    expect(trainer.supervisor.state.status).toBe('failed');
    // The breaker stays open: no sixth start on its own.
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.readFileSync(starts, 'utf8').trim().split('\n')).toHaveLength(5);
    // Every window's training failed for that one reason (the catch-up and outer-step lines that follow are other facts).
    const failedTraining = (await ledger.read()).records.filter((r) => r.phase === 'missed' && r.reason?.startsWith('training failed'));
    expect(failedTraining.length).toBeGreaterThan(0);
    for (const r of failedTraining) expect(r.reason).toMatch(/^training failed: stopped restarting: 5 crashes/);
  });
});
