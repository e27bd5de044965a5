import type { StateCreator } from 'zustand';
import type { NavigationActions, NavigationState, Store, ViewId } from '../types';
import { guideOpensAtStart } from './onboarding';

// The first run opens on the set-up guide. A getter, so each store made (the spread in
// createAppStore reads it) looks at the guide's saved progress at that moment.
export const initialNavigationState: NavigationState = {
  get page(): ViewId {
    return guideOpensAtStart() ? 'welcome' : 'dashboard';
  },
};

export const createNavigationSlice: StateCreator<Store, [], [], NavigationActions> = (set) => ({
  navigate: (page) => set({ page }),
});

export const navigationSelectors = {
  page: (s: Store) => s.page,
};
