import { describe, expect, it } from 'vitest';
import { breakTie } from '../../../main/services/validator/tie-breaker';
import { WindowLossRuns, type LossRun } from '../../../main/services/validator/window-loss-runs';
import type { Upload } from '../../../main/services/validator/window-uploads';

/**
 * Loss runs from a table: `gain(update, set)` is the update's relative
 * improvement on that peer's batches, with a small per-batch jitter.
 */
function runsFrom(gain: (update: number, set: string) => number): WindowLossRuns {
  return new WindowLossRuns(async (set: string, upload: Upload): Promise<LossRun> => {
    const batches = Array.from({ length: 8 }, (_, i) => gain(upload.uid, set) + (((i * 7 + upload.uid * 2 + Number(set)) % 5) - 2) * 0.002);
    return { before: 4, after: 4 * (1 - batches.reduce((a, b) => a + b, 0) / 8), batches };
  });
}

const upload = (uid: number): Upload => ({ uid, file: `peer-${uid}.tndc`, uploadedAt: 0, print: { indices: new Uint32Array(), values: new Float32Array(), norm: 1 } });

async function measured(runs: WindowLossRuns, uids: number[]): Promise<WindowLossRuns> {
  for (const set of uids.map(String)) for (const uid of uids) await runs.measure(set, upload(uid));
  return runs;
}

describe('breaking a tie by whose batches an update improves', () => {
  it('the copier: its update improves its source’s batches more than its own, and the source’s improves its own most', async () => {
    // uid 2 uploads uid 1's update: both improve uid 1's batches by 0.1, anything else by 0.05; uid 0 is the control.
    const author = (uid: number) => (uid === 2 ? 1 : uid);
    const runs = await measured(runsFrom((u, set) => (set === String(author(u)) ? 0.1 : 0.05)), [0, 1, 2]);
    const copier = breakTie(runs, 2, 1, [0], 1.645);
    expect(copier.copied).toBe(true);
    expect(copier.leadZ).toBeGreaterThan(1.645);
    // Its victim, tried the other way round, is not.
    expect(breakTie(runs, 1, 2, [0], 1.645).copied).toBe(false);
  });

  it('an honest peer whose update a mixer used is not blamed, even when its own update happens to lead on the mixer’s batches', async () => {
    // uid 1 honest; uid 3 uploads a mix of 1's and another's: it improves 1's batches most. By chance uid 1's update
    // also looks better on 3's batches than on its own: the lead alone would blame it; the mixer's own update says otherwise.
    const gain = (u: number, set: string) => {
      if (u === 1) return set === '3' ? 0.12 : set === '1' ? 0.1 : 0.05;
      if (u === 3) return set === '1' ? 0.08 : 0.05;
      return set === String(u) ? 0.1 : 0.05;
    };
    const runs = await measured(runsFrom(gain), [0, 1, 3]);
    const verdict = breakTie(runs, 1, 3, [0], 1.645);
    expect(verdict.leadZ).toBeGreaterThan(1.645);
    expect(verdict.reverseZ).toBeGreaterThan(0);
    expect(verdict.copied).toBe(false);
  });

  it('without per-batch losses it cannot tell, and blames nobody', async () => {
    const runs = new WindowLossRuns(async (): Promise<LossRun> => ({ before: 4, after: 3.8, batches: undefined }));
    for (const set of ['1', '2']) for (const uid of [1, 2]) await runs.measure(set, upload(uid));
    const verdict = breakTie(runs, 2, 1, [], 1.645);
    expect(verdict.copied).toBe(false);
    expect(verdict.leadZ).toBeNaN();
  });
});
