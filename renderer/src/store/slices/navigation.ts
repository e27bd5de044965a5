import type { StateCreator } from 'zustand';
import type { Store } from '../index';
import { guideOpensAtStart } from './onboarding';

export const PAGES = ['dashboard', 'hardware', 'wallet', 'network', 'logs', 'earnings', 'settings'] as const;
export type PageId = (typeof PAGES)[number];
/** What the main area shows: a page of the sidebar, or the first-run set-up guide. */
export type ViewId = PageId | 'welcome';

export interface NavigationState {
  page: ViewId;
}

export interface NavigationActions {
  navigate(page: ViewId): void;
}

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
