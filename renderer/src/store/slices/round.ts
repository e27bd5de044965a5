import type { StateCreator } from 'zustand';
import type { RoundActions, RoundSliceState, Store } from '../types';

export const initialRoundState: RoundSliceState = { round: null };

export const createRoundSlice: StateCreator<Store, [], [], RoundActions> = (set) => ({
  // The loss history rides along with every event; keeping the same array when it did not grow spares the chart.
  receiveRound: (round) =>
    set((s) => {
      const prev = s.round?.lossHistory;
      const next = round.lossHistory;
      const same = prev !== undefined && prev.length === next.length && (next.length === 0 || (prev[prev.length - 1]?.step === next[next.length - 1]?.step && prev[0]?.step === next[0]?.step && prev[prev.length - 1]?.window === next[next.length - 1]?.window));
      return { round: same ? { ...round, lossHistory: prev } : round };
    }),
});

export const roundSelectors = {
  round: (s: Store) => s.round,
  window: (s: Store) => s.round?.window ?? null,
  phase: (s: Store) => s.round?.phase ?? null,
  timeline: (s: Store) => s.round?.timeline ?? null,
  lossHistory: (s: Store) => s.round?.lossHistory ?? null,
  progress: (s: Store) =>
    s.round ? { step: s.round.innerStep, steps: s.round.innerSteps, eta: s.round.etaSeconds, tokensPerSecond: s.round.tokensPerSecond } : null,
};
