import { describe, expect, it } from 'vitest';
import type { RoundState } from '../../../contract/domains/round';
import { roundProgressPrinter } from '../../../main/shells/cli/round-progress';
import { idleRoundState } from '../../../main/services/round/round-status';

describe('roundProgressPrinter', () => {
  it('prints each window, phase, quarter of the inner steps and completed round once, and errors apart', () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const print = roundProgressPrinter({ line: (t) => lines.push(t), error: (t) => errors.push(t) });
    let s: RoundState = { ...idleRoundState('devnet', 'Waiting for window 4 to start.'), joined: true, phase: 'syncing' };
    const emit = (patch: Partial<RoundState>) => print((s = { ...s, ...patch }));
    emit({});
    emit({ window: 4, phase: 'training', blocker: null, innerSteps: 8 });
    for (let step = 1; step <= 8; step++) emit({ innerStep: step, loss: 3 - step / 10, tokensPerSecond: 1000 });
    emit({ phase: 'uploading' });
    emit({ phase: 'gathering' });
    emit({ window: 5, phase: 'training', innerStep: 0 });
    emit({ phase: 'applying' });
    emit({ phase: 'training' });
    emit({
      phase: 'applying',
      completedRounds: 1,
      lastRound: { window: 4, phases: ['trained', 'uploaded', 'gathered', 'applied'], phaseSeconds: {}, bytesUp: 2048, bytesDown: 6144, loss: 2.25, firstAt: 0, lastAt: 1 },
    });
    emit({ window: 6, phase: 'error', blocker: 'training failed: the trainer exited (SIGKILL)' });
    expect(lines).toEqual([
      '… Waiting for window 4 to start.',
      'syncing',
      'window 4 · training',
      'window 4 · inner step 1/8 · loss 2.900 · 1000 tok/s',
      'window 4 · inner step 2/8 · loss 2.800 · 1000 tok/s',
      'window 4 · inner step 4/8 · loss 2.600 · 1000 tok/s',
      'window 4 · inner step 6/8 · loss 2.400 · 1000 tok/s',
      'window 4 · inner step 8/8 · loss 2.200 · 1000 tok/s',
      'window 4 · uploading',
      'window 4 · gathering',
      'window 5 · training',
      'window 5 · applying',
      'round 1 done: window 4 · trained, uploaded, gathered, applied · loss 2.250 · up 2.0 KiB · down 6.0 KiB',
    ]);
    expect(errors).toEqual(['window 6 · error: training failed: the trainer exited (SIGKILL)']);
  });
});
