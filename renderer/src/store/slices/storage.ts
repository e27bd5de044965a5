import type { StateCreator } from 'zustand';
import type { StorageStatus, StorageTestProgress, StorageTestResult } from '../../../../contract/domains/storage';

/**
 * This peer's storage as the UI sees it: key ids, flags and the last test.
 * Secrets never enter the store: they live in password fields until sent.
 */
export interface StorageSliceState {
  storageStatus: StorageStatus | null;
  storageTest: { running: boolean; progress: StorageTestProgress | null; result: StorageTestResult | null; error: string | null };
}

export interface StorageActions {
  receiveStorageStatus(status: StorageStatus): void;
  startStorageTest(): void;
  receiveStorageTestProgress(progress: StorageTestProgress): void;
  receiveStorageTestResult(result: StorageTestResult): void;
  failStorageTest(error: string): void;
  clearStorageTest(): void;
}

export type StorageStore = StorageSliceState & StorageActions;

const IDLE_TEST: StorageSliceState['storageTest'] = { running: false, progress: null, result: null, error: null };

export const initialStorageState: StorageSliceState = { storageStatus: null, storageTest: IDLE_TEST };

export const createStorageSlice: StateCreator<StorageStore, [], [], StorageActions> = (set) => ({
  receiveStorageStatus: (storageStatus) => set({ storageStatus }),
  startStorageTest: () => set({ storageTest: { running: true, progress: null, result: null, error: null } }),
  receiveStorageTestProgress: (progress) => set((s) => ({ storageTest: { ...s.storageTest, running: progress.completed < progress.total, progress } })),
  receiveStorageTestResult: (result) => set({ storageTest: { running: false, progress: null, result, error: null } }),
  failStorageTest: (error) => set((s) => ({ storageTest: { ...s.storageTest, running: false, progress: null, error } })),
  clearStorageTest: () => set({ storageTest: IDLE_TEST }),
});

export const storageSelectors = {
  status: (s: StorageStore) => s.storageStatus,
  test: (s: StorageStore) => s.storageTest,
};
