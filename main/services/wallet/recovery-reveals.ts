import crypto from 'node:crypto';
import { WalletError } from './errors';

/**
 * The recovery phrases of new coldkeys, each held in memory behind a random
 * single-use token until the UI redeems it or it expires. The phrase is stored
 * nowhere else, so it crosses the contract exactly once, in `wallet.reveal`;
 * a discarded phrase is overwritten, not just dropped.
 */
export class RecoveryReveals {
  private readonly reveals = new Map<string, { words: string[]; expiresAt: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  issue(words: string[]): { revealToken: string; revealExpiresAt: number } {
    const token = crypto.randomBytes(32).toString('hex');
    const expiresAt = this.now() + this.ttlMs;
    const timer = setTimeout(() => this.discard(token), this.ttlMs);
    timer.unref?.();
    this.reveals.set(token, { words, expiresAt, timer });
    return { revealToken: token, revealExpiresAt: expiresAt };
  }

  /** The recovery phrase, once. A second call, or one after the expiry, fails. */
  reveal(token: string): string[] {
    const entry = this.reveals.get(token);
    const words = entry ? [...entry.words] : [];
    this.discard(token);
    if (!entry || entry.expiresAt < this.now()) throw new WalletError('TOKEN', 'this recovery phrase was already shown or has expired; it is not stored anywhere');
    return words;
  }

  discard(token: string): boolean {
    const entry = this.reveals.get(token);
    if (!entry) return false;
    clearTimeout(entry.timer);
    entry.words.fill('');
    this.reveals.delete(token);
    return true;
  }

  discardAll(): void {
    for (const token of [...this.reveals.keys()]) this.discard(token);
  }
}
