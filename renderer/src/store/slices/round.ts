import type { StateCreator } from 'zustand';
import type { RoundState } from '../../../../contract/domains/round';
import type { Store } from '../index';

export interface RoundSliceState {
  /** The live round as the core last reported it; null before the first report. */
  round: RoundState | null;
}

export interface RoundActions {
  receiveRound(round: RoundState): void;
}

export const initialRoundState: RoundSliceState = { round: null };

export const createRoundSlice: StateCreator<Store, [], [], RoundActions> = (set) => ({
  receiveRound: (round) => set({ round }),
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
