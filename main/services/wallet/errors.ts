/**
 * Wallet failures a person can act on. Messages never contain secret material
 * (no passphrase, phrase, seed or key bytes), so they are safe to log and to
 * send to the UI as they are.
 */
export type WalletErrorCode =
  | 'WRONG_PASSPHRASE'
  | 'PASSPHRASE_REQUIRED'
  | 'EXISTS'
  | 'NOT_FOUND'
  | 'BAD_KEYFILE'
  | 'BAD_INPUT'
  | 'MISMATCH'
  | 'LOCKED'
  | 'WATCH_ONLY'
  | 'NO_KEYCHAIN'
  | 'TOKEN';

export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WalletError';
  }
}
