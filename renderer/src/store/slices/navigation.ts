import type { StateCreator } from 'zustand';
import type { Store } from '../index';

export const PAGES = ['dashboard', 'hardware', 'wallet', 'network', 'logs', 'earnings', 'settings'] as const;
export type PageId = (typeof PAGES)[number];

export interface NavigationState {
  page: PageId;
}

export interface NavigationActions {
  navigate(page: PageId): void;
}

export const initialNavigationState: NavigationState = { page: 'dashboard' };

export const createNavigationSlice: StateCreator<Store, [], [], NavigationActions> = (set) => ({
  navigate: (page) => set({ page }),
});

export const navigationSelectors = {
  page: (s: Store) => s.page,
};
