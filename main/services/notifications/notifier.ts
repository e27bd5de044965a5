import type { ChainStatus } from '../../../contract/domains/chain';
import type { GuardState } from '../../../contract/domains/guard';
import type { HardwareProgress } from '../../../contract/domains/hardware';
import type { AppNotification, NotificationKind } from '../../../contract/domains/notifications';
import type { RoundState } from '../../../contract/domains/round';
import type { SupervisorState } from '../../adapters/process/process-supervisor';

export interface NotifierOptions {
  onNotification(notification: AppNotification): void;
  /** Below this coldkey balance (rao) fees may fail: warn. Default 0.1 TAO. */
  lowBalanceRao?: bigint;
  /** The same kind and title is not repeated within this time. */
  quietMs?: number;
  now?: () => number;
}

const KEEP = 200;

/**
 * Turns what the core sees (rounds, checks, the trainer's supervisor, the
 * chain's balance, the guard) into the few notifications worth interrupting
 * someone for, without repeating itself.
 */
export class Notifier {
  private items: AppNotification[] = [];
  private nextId = 1;
  private lastWindowSeen: number | null = null;
  private lastPhase: string | null = null;
  private lastSupervisor: string | null = null;
  private wasThrottled = false;
  private readonly now: () => number;

  constructor(private readonly options: NotifierOptions) {
    this.now = options.now ?? Date.now;
  }

  list(): AppNotification[] {
    return [...this.items].reverse();
  }

  markRead(ids: readonly number[]): AppNotification[] {
    const set = new Set(ids);
    this.items = this.items.map((n) => (set.has(n.id) ? { ...n, read: true } : n));
    return this.list();
  }

  notify(kind: NotificationKind, severity: AppNotification['severity'], title: string, body: string): AppNotification | null {
    const at = this.now();
    const quiet = this.options.quietMs ?? 10 * 60_000;
    if (this.items.some((n) => n.kind === kind && n.title === title && at - n.at < quiet)) return null;
    const notification: AppNotification = { id: this.nextId++, at, kind, severity, title, body, read: false };
    this.items = [...this.items, notification].slice(-KEEP);
    this.options.onNotification(notification);
    return notification;
  }

  onRound(state: RoundState): void {
    const last = state.lastRound;
    if (last && last.window !== this.lastWindowSeen) {
      this.lastWindowSeen = last.window;
      if (last.phases.includes('missed')) this.notify('missed-round', 'warning', `Round ${last.window} missed`, last.reason ?? 'This round earned nothing.');
    }
    if (state.phase === 'error' && this.lastPhase !== 'error') this.notify('missed-round', 'error', `Round ${state.window ?? ''} failed`.trim(), state.blocker ?? 'The round stopped with an error.');
    this.lastPhase = state.phase;
  }

  onHardwareProgress(progress: HardwareProgress): void {
    if (progress.phase === 'check' && progress.check?.status === 'fail') {
      this.notify('failed-check', 'error', `Check failed: ${progress.check.title}`, [progress.check.measured, progress.check.remediation].filter(Boolean).join(' — '));
    }
  }

  onSupervisor(state: SupervisorState): void {
    if (state.status === 'failed' && this.lastSupervisor !== 'failed') {
      this.notify('crash-loop', 'error', 'The trainer keeps crashing', `Stopped restarting it. ${state.lastError ?? ''}`.trim());
    }
    this.lastSupervisor = state.status;
  }

  onChainStatus(status: ChainStatus): void {
    if (status.coldkeyBalance === null) return;
    const threshold = this.options.lowBalanceRao ?? 100_000_000n;
    if (BigInt(status.coldkeyBalance) < threshold) {
      this.notify('low-balance', 'warning', 'Low balance for fees', `The coldkey holds ${status.coldkeyBalance} rao; registrations and commitments need fees. Top it up.`);
    }
  }

  onGuard(state: GuardState): void {
    if (state.throttled && !this.wasThrottled) this.notify('throttled', 'info', 'Training slowed to stay cool', state.reason ?? 'A GPU is over its target.');
    this.wasThrottled = state.throttled;
  }
}
