import { describe, expect, it } from 'vitest';
import { CheckpointSpacing } from '../../../main/adapters/trainer/checkpoint-spacing';
import { minerCheckpointSpacing } from '../../../main/adapters/trainer/trainer-config';
import { devnetManifestDocument } from '../../../main/devnet/devnet-manifest';
import { catchUpWindowsOf, parseManifest } from '../../../main/ports/run-manifest';

/** The outer steps (1-based) after which the spacing writes, over `steps` steps, each write taking `seconds`. */
function writesOver(spacing: CheckpointSpacing, steps: number, seconds: number): number[] {
  const writes: number[] = [];
  for (let step = 1; step <= steps; step++) {
    if (spacing.afterOuterStep()) {
      writes.push(step);
      spacing.wrote(seconds);
    }
  }
  return writes;
}

describe('checkpoint spacing', () => {
  it('a checkpoint that writes in milliseconds is written after every outer step', () => {
    expect(writesOver(new CheckpointSpacing({ windowSeconds: 20, maxWindows: 9, share: 0.01 }), 5, 0.05)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a costly one waits until its cost is the share of the windows since, at most maxWindows apart', () => {
    // 276 s windows, 1 % share: 2.76 s of the windows' time per window. A 10 s write: every 4 windows (10 / 2.76 = 3.6).
    expect(writesOver(new CheckpointSpacing({ windowSeconds: 276, maxWindows: 9, share: 0.01 }), 13, 10)).toEqual([1, 5, 9, 13]);
    // 80 s (an 8B model's 128 GB at 1.6 GB/s): 29 windows, held to the 9 the engine replays.
    expect(writesOver(new CheckpointSpacing({ windowSeconds: 276, maxWindows: 9, share: 0.01 }), 19, 80)).toEqual([1, 10, 19]);
  });

  it('an explicit checkpoint counts: the next is spaced from it', () => {
    const spacing = new CheckpointSpacing({ windowSeconds: 100, maxWindows: 9, share: 0.01 });
    expect(spacing.afterOuterStep()).toBe(true); // untimed: the first is written
    spacing.wrote(3); // 3 windows apart
    expect([spacing.afterOuterStep(), spacing.afterOuterStep()]).toEqual([false, false]);
    spacing.wrote(3); // written on request
    expect([spacing.afterOuterStep(), spacing.afterOuterStep(), spacing.afterOuterStep()]).toEqual([false, false, true]);
  });

  it("a miner's spacing is the run's window and one less than the windows its engine replays", () => {
    const manifest = parseManifest(devnetManifestDocument(), 'devnet');
    const spacing = minerCheckpointSpacing(manifest);
    spacing.afterOuterStep();
    spacing.wrote(1e6); // a write that never pays off: held to the replay limit
    expect(spacing.spacing()).toBe(catchUpWindowsOf(manifest) - 1);
  });
});
