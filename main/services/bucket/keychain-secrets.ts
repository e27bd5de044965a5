import type { Keychain } from '../../adapters/keychain';
import { StorageSecretsShape, type StorageSecrets } from '../../ports/storage-credentials';
import { StorageCredentialsError } from './storage-credentials-error';

const ID = 'storage-secrets';

/**
 * Storage secrets in the OS keychain of the desktop app: the same
 * safeStorage-backed Keychain that can remember the hotkey passphrase
 * (main/adapters/keychain.ts), under its own id. Nothing to unlock: the OS
 * opens it for this user.
 */
export class KeychainSecrets {
  constructor(private readonly keychain: Keychain) {}

  get available(): boolean {
    return this.keychain.available;
  }

  async save(secrets: StorageSecrets): Promise<void> {
    if (!this.keychain.available) throw new StorageCredentialsError('NO_KEYCHAIN', 'No OS keychain here: the storage keys need a storage passphrase instead');
    await this.keychain.save(ID, JSON.stringify(StorageSecretsShape.parse(secrets)));
  }

  /** The secrets, or null when the keychain holds none (or cannot decrypt them any more). */
  async load(): Promise<StorageSecrets | null> {
    const text = await this.keychain.load(ID);
    if (text === null) return null;
    let raw: unknown = null;
    try {
      raw = JSON.parse(text);
    } catch {
      // A blob that is not ours reads as absent: the user is asked to set the keys again.
    }
    const parsed = StorageSecretsShape.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  async remove(): Promise<void> {
    await this.keychain.remove(ID);
  }
}
