import type { ChainSigner } from '../../ports/chain-port';
import { WalletError } from './errors';
import type { KeyringPair } from './keys';

export interface HeldHotkey {
  wallet: string;
  hotkey: string;
  pair: KeyringPair;
  /** When the timeout locks it again (epoch ms); null: only `lock()` does. */
  locksAt: number | null;
}

/**
 * The one hotkey kept unlocked in memory, because it signs routine calls
 * (commitments) without asking each time: held until released or until its
 * timeout, and its signer refuses once it is no longer the one held, so a
 * signer handed out earlier cannot outlive the unlock.
 */
export class UnlockedHotkey {
  private held: (HeldHotkey & { timer: ReturnType<typeof setTimeout> | undefined }) | null = null;

  constructor(
    private readonly now: () => number,
    /** Called when the timeout has locked the hotkey. */
    private readonly onTimeout: () => void,
  ) {}

  get current(): HeldHotkey | null {
    return this.held;
  }

  /** Holds `pair` (locking the one held before) for `timeoutMinutes`; 0: until released. */
  hold(wallet: string, hotkey: string, pair: KeyringPair, timeoutMinutes: number): void {
    this.release();
    const ms = timeoutMinutes * 60_000;
    const timer =
      ms > 0
        ? setTimeout(() => {
            this.release();
            this.onTimeout();
          }, ms)
        : undefined;
    timer?.unref?.();
    this.held = { wallet, hotkey, pair, locksAt: ms > 0 ? this.now() + ms : null, timer };
  }

  /** Locks the held hotkey (its key material wiped from memory). */
  release(): void {
    const u = this.held;
    if (!u) return;
    if (u.timer) clearTimeout(u.timer);
    u.pair.lock();
    this.held = null;
  }

  /** The held hotkey as a signer, or null while none is held. */
  signer(): ChainSigner | null {
    const pair = this.held?.pair;
    if (!pair) return null;
    return {
      address: pair.address,
      sign: (message) => {
        if (this.held?.pair !== pair || pair.isLocked) return Promise.reject(new WalletError('LOCKED', 'the hotkey was locked'));
        return Promise.resolve(pair.sign(message));
      },
    };
  }
}
