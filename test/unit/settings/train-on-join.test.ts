import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoundState } from '../../../contract/domains/round';
import { makeTempDir } from '../../support/temp-dir';
import { makeTestCore } from '../../support/test-core';
import { TRAINER_NOT_BUILT, trainerBuilt } from '../../support/tiny-trainer';
import { skippedUnless } from '../../support/skip-note';

/**
 * Settings → Train on = gpu where the trainer can see no GPU, through the real
 * core, devnet and trainer: the round says why and how to go back, and the
 * trainer is not restarted in a loop. The guard's empty GPU choice hides every
 * GPU (CUDA_VISIBLE_DEVICES=""), so this holds on a machine with GPUs too.
 */
describe.skipIf(!trainerBuilt)(`joining with Train on = gpu and no usable GPU${skippedUnless(trainerBuilt, TRAINER_NOT_BUILT)}`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('shows the no-device error with "switch Settings → Train on back to CPU" as the round blocker', async () => {
    const { core, logRing } = await makeTestCore(temp.dir);
    let id = 0;
    const request = async <T>(method: string, params: unknown): Promise<T> => {
      const response = (await core.dispatch({ kind: 'request', id: String(++id), method, params })) as { ok: boolean; result?: T; error?: unknown };
      if (!response.ok) throw new Error(`${method}: ${JSON.stringify(response.error)}`);
      return response.result as T;
    };
    try {
      await request('settings.update', { trainOn: 'gpu' });
      await request('guard.configure', { selectedGpus: [] });
      await request('round.join', {});
      await expect
        .poll(async () => (await request<RoundState>('round.get', {})).blocker ?? '', { timeout: 90_000, interval: 250 })
        .toMatch(/^training failed: GPU training could not start: no CUDA device.*switch Settings → Train on back to CPU/);
      const round = await request<RoundState>('round.get', {});
      expect(round.phase).toBe('error');
      // The trainer answered and lives on: no crash, so no restart loop behind the message.
      const lines = logRing.tail(10_000).map((e) => e.message);
      expect(lines).toContain('child started');
      expect(lines.filter((m) => m === 'child crashed')).toEqual([]);
    } finally {
      await request('round.leave', { when: 'now' }).catch(() => undefined);
      await core.stop();
    }
  }, 120_000);
});
