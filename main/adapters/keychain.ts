import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, writeFileAtomically } from '../platform/atomic-file';

/**
 * Optional OS keychain for the hotkey passphrase, so the app can unlock the
 * hotkey at start without asking. Never holds a coldkey passphrase. Headless
 * mode has none (`NO_KEYCHAIN`): a browser UI must not unlock keys unattended
 * on a machine we cannot vouch for.
 */
export interface Keychain {
  readonly available: boolean;
  save(id: string, secret: string): Promise<void>;
  load(id: string): Promise<string | null>;
  remove(id: string): Promise<void>;
}

export const noKeychain: Keychain = {
  available: false,
  save: () => Promise.reject(new Error('no OS keychain in this mode')),
  load: () => Promise.resolve(null),
  remove: () => Promise.resolve(),
};

/** The part of Electron's `safeStorage` we use (duck-typed so main/wallet never imports electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Electron safeStorage (Keychain on macOS, DPAPI on Windows, libsecret/kwallet
 * on Linux): the passphrase is encrypted by the OS and the blob kept in
 * `<dir>/<id>.bin`, 0600, written atomically. On Linux without a secret
 * service safeStorage falls back to a fixed key, so that case counts as absent.
 */
export function safeStorageKeychain(safeStorage: SafeStorageLike & { getSelectedStorageBackend?: () => string }, dir: string): Keychain {
  const backend = safeStorage.getSelectedStorageBackend?.();
  const available = safeStorage.isEncryptionAvailable() && backend !== 'basic_text';
  const file = (id: string) => path.join(dir, `${id.replace(/[^A-Za-z0-9_-]/g, '_')}.bin`);
  return {
    available,
    async save(id, secret) {
      if (!available) throw new Error('no OS keychain available');
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomically(file(id), safeStorage.encryptString(secret).toString('base64'), { mode: 0o600 });
    },
    async load(id) {
      if (!available) return null;
      const blob = await readFileIfExists(file(id));
      if (blob === undefined) return null;
      try {
        return safeStorage.decryptString(Buffer.from(blob, 'base64'));
      } catch {
        return null;
      }
    },
    async remove(id) {
      await fs.rm(file(id), { force: true });
    },
  };
}
