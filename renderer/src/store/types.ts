import type { AppInfo, AppNotification, CoreState, GuardState, LogEntry, LogLevel, ScheduleState } from '../../../contract';
import type { ChainStatus, PreparedAction } from '../../../contract/domains/chain';
import type { Check, HardwareProgress, HardwareReport, TelemetryFrame, TelemetryStatus } from '../../../contract/domains/hardware';
import type { NetworkOverview } from '../../../contract/domains/network';
import type { RoundState } from '../../../contract/domains/round';
import type { StorageStatus, StorageTestProgress, StorageTestResult } from '../../../contract/domains/storage';
import type { WalletStatus } from '../../../contract/domains/wallet';

/*
 * The store's shape: each slice's state and actions, and the Store they make
 * together. Slices import their types and Store from here (never from
 * store/index.ts, which composes them), and this file imports nothing of the
 * store, so no import circle runs through the slices.
 */

// connection

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ConnectionState {
  status: ConnectionStatus;
  /** The latest message that failed contract validation, shown instead of swallowed. */
  protocolError: string | null;
}

export interface ConnectionActions {
  setConnectionStatus(status: ConnectionStatus): void;
  reportProtocolError(message: string): void;
}

// onboarding

// The fit test comes before the wallet: it tells whether to pay for a registration at all.
export const ONBOARDING_STEPS = ['hardware', 'network', 'fit', 'wallet', 'join'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/** new: never seen; active: on screen; paused: left for now (resumable); done: finished or skipped for good. */
export type OnboardingStatus = 'new' | 'active' | 'paused' | 'done';

export interface OnboardingState {
  onboarding: { status: OnboardingStatus; step: OnboardingStep };
}

export interface OnboardingActions {
  setOnboardingStep(step: OnboardingStep): void;
  setOnboardingStatus(status: OnboardingStatus): void;
}

// network

export interface NetworkSliceState {
  networkOverview: NetworkOverview | null;
  networkError: string | null;
}

export interface NetworkActions {
  receiveNetworkOverview(overview: NetworkOverview): void;
  failNetworkOverview(message: string): void;
}

// core

export interface CoreSliceState {
  /** The latest snapshot streamed by the core; null until the first one arrives. */
  core: CoreState | null;
  appInfo: AppInfo | null;
}

export interface CoreActions {
  receiveCoreState(state: CoreState): void;
  receiveAppInfo(info: AppInfo): void;
}

// hardware

export interface HardwareRunProgress {
  runId: string | null;
  step: string;
  completed: number;
  total: number;
  /** Checks reported so far in this run, in order. */
  checks: Check[];
}

export interface HardwareState {
  /** The last finished report; null before the first run (the page shows its empty state). */
  hardwareReport: HardwareReport | null;
  /** Set while a run is in progress. */
  hardwareRun: HardwareRunProgress | null;
  hardwareError: string | null;
  hardwareTelemetry: TelemetryFrame | null;
  hardwareTelemetryStatus: TelemetryStatus | null;
}

export interface HardwareActions {
  /** The page asked for a run; progress events fill it in. */
  startHardwareRun(): void;
  receiveHardwareProgress(progress: HardwareProgress): void;
  receiveHardwareReport(report: HardwareReport | null): void;
  failHardwareRun(message: string): void;
  receiveTelemetry(frame: TelemetryFrame): void;
  setTelemetryStatus(status: TelemetryStatus | null): void;
}

// round

export interface RoundSliceState {
  /** The live round as the core last reported it; null before the first report. */
  round: RoundState | null;
}

export interface RoundActions {
  receiveRound(round: RoundState): void;
}

// wallet

/**
 * Wallet state in the UI: addresses, flags and warnings only. Secrets never
 * enter the store: passphrases live in form fields until sent, and the
 * one-time recovery phrase is held by the reveal dialog's local state.
 */
export interface WalletSliceState {
  walletStatus: WalletStatus | null;
  /** What the wallet page is doing right now, for a spinner ("creating", "importing"…). */
  walletBusy: string | null;
  walletError: string | null;
}

export interface WalletActions {
  receiveWalletStatus(status: WalletStatus): void;
  setWalletBusy(busy: string | null): void;
  setWalletError(error: string | null): void;
}

// chain

export interface ChainSliceState {
  chainStatus: ChainStatus | null;
  /** A write waiting for the user's confirmation (fee shown); no secret in it. */
  pendingAction: PreparedAction | null;
}

export interface ChainActions {
  receiveChainStatus(status: ChainStatus): void;
  setPendingAction(action: PreparedAction | null): void;
}

// logs

export interface LogsState {
  logLines: LogEntry[];
  logFilter: { minLevel: LogLevel; search: string };
}

export interface LogsActions {
  appendLog(entry: LogEntry): void;
  replaceLogs(entries: LogEntry[]): void;
  setLogFilter(filter: Partial<LogsState['logFilter']>): void;
}

// navigation

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

// operations

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

// storage

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

/** One store, composed of slices that each own their state, actions and selectors (store/index.ts puts them together). */
export type Store = ConnectionState &
  ConnectionActions &
  OnboardingState &
  OnboardingActions &
  NetworkSliceState &
  NetworkActions &
  CoreSliceState &
  CoreActions &
  HardwareState &
  HardwareActions &
  RoundSliceState &
  RoundActions &
  WalletSliceState &
  WalletActions &
  ChainSliceState &
  ChainActions &
  LogsState &
  LogsActions &
  NavigationState &
  NavigationActions &
  OperationsState &
  OperationsActions &
  StorageSliceState &
  StorageActions;
