import type { StateCreator } from 'zustand';
import type { OperationsActions, OperationsState, Store } from '../types';

export const initialOperationsState: OperationsState = { guard: null, schedule: null, notifications: [] };

export const createOperationsSlice: StateCreator<Store, [], [], OperationsActions> = (set) => ({
  receiveGuard: (guard) => set({ guard }),
  receiveSchedule: (schedule) => set({ schedule }),
  receiveNotification: (n) => set((s) => ({ notifications: [n, ...s.notifications.filter((x) => x.id !== n.id)].slice(0, 200) })),
  replaceNotifications: (notifications) => set({ notifications }),
});

export const operationsSelectors = {
  guard: (s: Store) => s.guard,
  schedule: (s: Store) => s.schedule,
  notifications: (s: Store) => s.notifications,
  unreadCount: (s: Store) => s.notifications.filter((n) => !n.read).length,
};
