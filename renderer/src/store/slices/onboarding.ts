import type { StateCreator } from 'zustand';
import { ONBOARDING_STEPS, type OnboardingActions, type OnboardingState, type Store } from '../types';

// The guide's progress is the UI's own business (no core state depends on it), so it lives
// in this window's storage; a new browser profile simply offers the guide again.
const STORAGE_KEY = 'tandem.onboarding';

function load(): OnboardingState['onboarding'] {
  try {
    const raw = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? 'null') as { status?: string; step?: string } | null;
    const step = ONBOARDING_STEPS.find((s) => s === raw?.step) ?? 'hardware';
    const status = raw?.status === 'done' || raw?.status === 'paused' ? raw.status : 'new';
    return { status, step };
  } catch {
    return { status: 'new', step: 'hardware' };
  }
}

function save(value: OnboardingState['onboarding']): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(value));
  } catch {
    // Storage may be off (private window): the guide then starts over next time, nothing breaks.
  }
}

export const initialOnboardingState = (): OnboardingState => ({ onboarding: load() });

/** True until the guide has been seen once (finished, skipped or left). */
export const guideOpensAtStart = (): boolean => load().status === 'new';

export const createOnboardingSlice: StateCreator<Store, [], [], OnboardingActions> = (set, get) => ({
  setOnboardingStep: (step) => {
    const onboarding = { ...get().onboarding, step };
    save(onboarding);
    set({ onboarding });
  },
  setOnboardingStatus: (status) => {
    const onboarding = { ...get().onboarding, status };
    save(onboarding);
    set({ onboarding });
  },
});

export const onboardingSelectors = {
  status: (s: Store) => s.onboarding.status,
  step: (s: Store) => s.onboarding.step,
  /** The guide opens by itself on the first run only; afterwards from the sidebar. */
  opensAtStart: (s: Store) => s.onboarding.status === 'new',
};
