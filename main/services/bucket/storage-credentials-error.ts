/**
 * Storage set-up failures a person can act on. Messages never contain a
 * secret access key or a passphrase, so they are safe to log and to show.
 */
export type StorageCredentialsErrorCode =
  | 'NOT_SET'
  | 'LOCKED'
  | 'WRONG_PASSPHRASE'
  | 'PASSPHRASE_REQUIRED'
  | 'SECRET_REQUIRED'
  | 'NO_KEYCHAIN'
  | 'MISSING_SECRETS'
  | 'BAD_FILE'
  | 'NO_CONFIG';

export class StorageCredentialsError extends Error {
  constructor(
    readonly code: StorageCredentialsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageCredentialsError';
  }
}

export const LOCKED_MESSAGE = 'Storage keys are locked: unlock them in Settings → Storage';
