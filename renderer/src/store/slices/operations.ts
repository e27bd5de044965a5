import type { StateCreator } from 'zustand';
import type { AppNotification, GuardState, ScheduleState } from '../../../../contract';
import type { Store } from '../index';

/** The thermal guard, the schedule and notifications as the core streams them. */
export interface OperationsState {
  guard: GuardState | null;
  schedule: ScheduleState | null;
  /** Newest first. */
  notifications: AppNotification[];
}

export interface OperationsActions {
  receiveGuard(guard: GuardState): void;
  receiveSchedule(schedule: ScheduleState): void;
  receiveNotification(notification: AppNotification): void;
  replaceNotifications(notifications: AppNotification[]): void;
}

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
