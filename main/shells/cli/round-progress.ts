import type { RoundState } from '../../../contract/domains/round';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Turns the stream of round states into terminal lines: one per window,
 * phase change, quarter of the inner steps and completed round, so a
 * terminal shows the same progress as the Dashboard without flooding.
 */
export function roundProgressPrinter(out: { line(text: string): void; error(text: string): void }): (state: RoundState) => void {
  let window: number | null = null;
  let phase: string | null = null;
  // Phases overlap (the last window's gather beside this one's training): each is named once per window.
  let named = new Set<string>();
  let quarter = -1;
  let rounds = 0;
  let blocker: string | null = null;
  return (state) => {
    if (state.blocker !== blocker) {
      blocker = state.blocker;
      if (blocker && state.phase !== 'error') out.line(`… ${blocker}`);
    }
    if (state.window !== window) {
      window = state.window;
      phase = null;
      named = new Set();
      quarter = -1;
    }
    const where = window === null ? '' : `window ${window} · `;
    if (state.phase !== phase) {
      phase = state.phase;
      if (phase === 'error') out.error(`${where}error: ${state.blocker ?? 'unknown'}`);
      else if (phase !== 'idle' && !named.has(phase)) out.line(`${where}${phase}`);
      named.add(phase);
    }
    if (state.phase === 'training' && state.innerSteps > 0) {
      const q = Math.floor((state.innerStep / state.innerSteps) * 4);
      if (q > quarter && state.innerStep > 0) {
        quarter = q;
        const loss = state.loss === null || !Number.isFinite(state.loss) ? '–' : state.loss.toFixed(3);
        const speed = state.tokensPerSecond === null ? '' : ` · ${Math.round(state.tokensPerSecond)} tok/s`;
        out.line(`${where}inner step ${state.innerStep}/${state.innerSteps} · loss ${loss}${speed}`);
      }
    }
    if (state.completedRounds > rounds) {
      rounds = state.completedRounds;
      const r = state.lastRound;
      if (r) {
        const loss = r.loss === undefined ? '' : ` · loss ${r.loss.toFixed(3)}`;
        const why = r.reason ? ` · ${r.reason}` : '';
        out.line(`round ${rounds} done: window ${r.window} · ${r.phases.join(', ')}${loss} · up ${kib(r.bytesUp)} · down ${kib(r.bytesDown)}${why}`);
      } else out.line(`round ${rounds} done`);
    }
  };
}
