import type { PhaseSpan, RoundState } from '../../../contract/domains/round';
import type { TrainerPhase } from '../../../contract/state';
import type { StepProgress } from '../../ports/trainer-port';

/** The round before any join, or after leaving: nothing running, and why (the blocker). */
export function idleRoundState(network: string, blocker: string): RoundState {
  return {
    joined: false,
    network,
    window: null,
    block: null,
    windowProgress: 0,
    windowEndsAt: null,
    phase: 'idle',
    timeline: [],
    innerStep: 0,
    innerSteps: 0,
    etaSeconds: null,
    tokensPerSecond: null,
    loss: null,
    lossHistory: [],
    completedRounds: 0,
    lastRound: null,
    blocker,
  };
}

/** Inner steps kept for the Dashboard's loss chart. */
const LOSS_HISTORY = 600;

/**
 * The round as the UI sees it (the `round` events): the window, the phases on
 * its timeline, the inner steps and loss. The engine and its collaborators
 * only tell it what happened; every change goes out through `onState`, so the
 * state shown is always the state held.
 */
export class RoundStatus {
  private state: RoundState;

  constructor(
    start: { network: string; innerSteps: number },
    private readonly onState: ((state: RoundState) => void) | undefined,
    private readonly now: () => number,
  ) {
    this.state = { ...idleRoundState(start.network, 'Not joined yet.'), innerSteps: start.innerSteps };
  }

  get current(): RoundState {
    return this.state;
  }

  update(patch: Partial<RoundState>): void {
    this.state = { ...this.state, ...patch };
    this.onState?.(this.state);
  }

  /** A new window begins: spans still open (last window's upload or gather) stay on the timeline. */
  beginWindow(window: number): void {
    this.update({ window, timeline: this.openSpans(), innerStep: 0, etaSeconds: null, blocker: null });
  }

  /** One inner step of `window` done, in the training span `training`: loss, speed and time left. */
  innerStep(window: number, training: PhaseSpan, p: StepProgress): void {
    const history = [...this.state.lossHistory, { window, step: p.step, loss: p.loss }].slice(-LOSS_HISTORY);
    const remaining = p.steps - p.step;
    const perStep = p.step > 0 ? (this.now() - training.startedAt) / 1000 / p.step : null;
    this.update({ innerStep: p.step, innerSteps: p.steps, loss: p.loss, tokensPerSecond: p.tokensPerSecond, lossHistory: history, etaSeconds: perStep === null ? null : remaining * perStep });
  }

  /** Opens a span on the timeline; phases may overlap (training beside the last window's gather). */
  startPhase(phase: TrainerPhase, deadline: number | null): PhaseSpan {
    const span: PhaseSpan = { phase, startedAt: this.now(), endedAt: null, deadline };
    const timeline = [...this.state.timeline, span];
    this.update({ phase: shownPhase(timeline) ?? phase, timeline });
    return span;
  }

  /** Closes a span and returns its length in seconds; the phase shown falls back to one still open. */
  endPhase(span: PhaseSpan): number {
    const endedAt = this.now();
    const index = this.state.timeline.indexOf(span);
    if (index >= 0) {
      const timeline = [...this.state.timeline];
      timeline[index] = { ...span, endedAt };
      const open = shownPhase(timeline);
      this.update({ timeline, ...(open ? { phase: open } : {}) });
    }
    return (endedAt - span.startedAt) / 1000;
  }

  openSpans(): PhaseSpan[] {
    return this.state.timeline.filter((s) => s.endedAt === null);
  }
}

/** Communication that runs beside the trainer; the trainer's own phase is the one to show while it is open. */
const BACKGROUND: ReadonlySet<TrainerPhase> = new Set(['uploading', 'gathering']);

/** The phase to show for these spans: the trainer's open phase first, else the latest open one. */
function shownPhase(timeline: readonly PhaseSpan[]): TrainerPhase | undefined {
  const open = timeline.filter((s) => s.endedAt === null);
  return (open.filter((s) => !BACKGROUND.has(s.phase)).at(-1) ?? open.at(-1))?.phase;
}
