import type { StateCreator } from 'zustand';
import type { StorageActions, StorageSliceState, Store } from '../types';

const IDLE_TEST: StorageSliceState['storageTest'] = { running: false, progress: null, result: null, error: null };

export const initialStorageState: StorageSliceState = { storageStatus: null, storageTest: IDLE_TEST };

export const createStorageSlice: StateCreator<Store, [], [], StorageActions> = (set) => ({
  receiveStorageStatus: (storageStatus) => set({ storageStatus }),
  startStorageTest: () => set({ storageTest: { running: true, progress: null, result: null, error: null } }),
  receiveStorageTestProgress: (progress) => set((s) => ({ storageTest: { ...s.storageTest, running: progress.completed < progress.total, progress } })),
  receiveStorageTestResult: (result) => set({ storageTest: { running: false, progress: null, result, error: null } }),
  failStorageTest: (error) => set((s) => ({ storageTest: { ...s.storageTest, running: false, progress: null, error } })),
  clearStorageTest: () => set({ storageTest: IDLE_TEST }),
});

export const storageSelectors = {
  status: (s: Store) => s.storageStatus,
  test: (s: Store) => s.storageTest,
};
