import path from 'node:path';
import type { z } from 'zod';
import type { StorageSecretPlace, StorageSetParams, StorageStatus, StorageTestResult } from '../../../contract/domains/storage';
import type { ConfigStore } from '../../core/config/config-store';
import type { StorageConfig } from '../../core/config/schema';
import type { StorageProbeTarget } from '../../adapters/storage/link-probe';
import type { AppPaths } from '../../platform/app-paths';
import { noKeychain, type Keychain } from '../../adapters/keychain';
import { EncryptedSecretFile } from './encrypted-secret-file';
import { KeychainSecrets } from './keychain-secrets';
import { checkStorage, probeTargetOf, type StorageCheckOptions } from './storage-check';
import type { StorageCredentials, StorageSecrets } from '../../ports/storage-credentials';
import { LOCKED_MESSAGE, StorageCredentialsError } from './storage-credentials-error';
import { endpointChoiceOf, resolveLocation } from './storage-location';

/** What the service needs of the config store: the core's own, so one writer keeps the file consistent. */
export type ConfigAccess = Pick<ConfigStore, 'value' | 'update'>;

/** `storage.set` as parsed by the contract (trimmed, defaults filled in). */
export type StorageSetInput = z.output<typeof StorageSetParams>;

export interface StorageCredentialsServiceOptions {
  /** The passphrase-sealed secrets file (headless mode, the CLI, a desktop without a keychain). */
  secretsFile: string;
  /** The desktop app's OS keychain; absent (or unavailable) in headless mode and the CLI. */
  keychain?: Keychain;
  /** The core lends modules its config store only when it builds them, so it may come later through useConfig. */
  config?: ConfigAccess;
  /** Defaults for `test()` (tests make the speed probe small). */
  check?: StorageCheckOptions;
}

/** The sealed secrets file sits beside the config file, so a data folder moved in Settings does not leave it behind. */
export function storageSecretsFile(paths: Pick<AppPaths, 'configDir'>): string {
  return path.join(paths.configDir, 'storage-secrets.json');
}

const NOT_SET_MESSAGE = 'No storage is set up yet: add your bucket and its two key pairs in Settings → Storage (or with `tandem storage set`)';

/**
 * This peer's storage credentials: the non-secret part in the config file's
 * `storage` section, the two secret access keys in the OS keychain (desktop)
 * or in a file sealed with the storage passphrase (headless mode, the CLI).
 * A sealed file is opened once per run with unlock(); the secrets then stay
 * in this process's memory only. Nothing here ever returns a secret except
 * credentials(), which is for the core's own storage clients.
 */
export class StorageCredentialsService {
  private config: ConfigAccess | undefined;
  private readonly file: EncryptedSecretFile;
  private readonly keychain: KeychainSecrets;
  private unlocked: StorageSecrets | null = null;
  private readonly listeners = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: StorageCredentialsServiceOptions) {
    this.file = new EncryptedSecretFile(options.secretsFile);
    this.keychain = new KeychainSecrets(options.keychain ?? noKeychain);
    this.config = options.config;
  }

  useConfig(config: ConfigAccess): void {
    this.config = config;
  }

  /** Where a save puts the secrets in this mode: the OS keychain when there is one, else the sealed file. */
  get saveTo(): StorageSecretPlace {
    return this.keychain.available ? 'os-keychain' : 'passphrase-file';
  }

  /** Called after every change a UI should see (set, cleared, unlocked). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** What is set, for `storage.get` and `tandem storage show`: key ids and flags, never a secret. */
  async status(): Promise<StorageStatus> {
    const saved = this.saved();
    if (!saved) return { location: null, write: null, read: null, secretsIn: null, saveTo: this.saveTo, locked: false, problem: null };
    const stored = await this.storedKeyIds(saved).catch(() => null);
    const secretSet = (side: 'write' | 'read') => stored?.[side] === (side === 'write' ? saved.writeAccessKeyId : saved.readAccessKeyId);
    const locked = saved.secretsIn === 'passphrase-file' && secretSet('write') && secretSet('read') && !this.unlockedFor(saved);
    return {
      location: { endpoint: saved.endpoint, region: saved.region, bucket: saved.bucket, forcePathStyle: saved.forcePathStyle, choice: endpointChoiceOf(saved) },
      write: { accessKeyId: saved.writeAccessKeyId, secretSet: secretSet('write') },
      read: { accessKeyId: saved.readAccessKeyId, secretSet: secretSet('read') },
      secretsIn: saved.secretsIn,
      saveTo: this.saveTo,
      locked,
      problem: await this.secretsFor(saved).then(
        () => null,
        (error: unknown) => (error instanceof StorageCredentialsError ? error.message : String(error)),
      ),
    };
  }

  /**
   * The bucket and both key pairs, for the core's storage clients; null when
   * none are set. Throws StorageCredentialsError when they are set but cannot
   * be used now (locked, or the secrets are missing).
   */
  async credentials(): Promise<StorageCredentials | null> {
    const saved = this.saved();
    if (!saved) return null;
    const secrets = await this.secretsFor(saved);
    return { endpoint: saved.endpoint, region: saved.region, bucket: saved.bucket, forcePathStyle: saved.forcePathStyle, write: secrets.write, read: secrets.read };
  }

  /**
   * Saves the bucket and key pairs. A secret left out keeps the saved one for
   * the same key id; when both are kept, only the config changes (no
   * passphrase needed). Everything is checked before anything is written.
   */
  set(input: StorageSetInput): Promise<StorageStatus> {
    return this.serialized(async () => {
      const config = this.configStore();
      const saved = config.value.storage;
      const location = resolveLocation(input.endpoint, input.bucket, input.forcePathStyle);
      const stored = saved ? await this.storedKeyIds(saved).catch(() => null) : null;
      const keepsSecrets =
        saved !== null &&
        input.write.secretAccessKey === undefined &&
        input.read.secretAccessKey === undefined &&
        input.write.accessKeyId === saved.writeAccessKeyId &&
        input.read.accessKeyId === saved.readAccessKeyId &&
        stored?.write === saved.writeAccessKeyId &&
        stored.read === saved.readAccessKeyId;
      let secretsIn: StorageSecretPlace = saved?.secretsIn ?? this.saveTo;
      let sealed: StorageSecrets | null = null;
      if (!keepsSecrets) {
        const current = saved ? await this.secretsFor(saved).catch(() => null) : null;
        const secretFor = (side: 'write' | 'read'): string => {
          const given = input[side].secretAccessKey;
          if (given !== undefined) return given;
          if (current && current[side].accessKeyId === input[side].accessKeyId) return current[side].secretAccessKey;
          const locked = saved !== null && saved.secretsIn === 'passphrase-file' && !current && input[side].accessKeyId === (side === 'write' ? saved.writeAccessKeyId : saved.readAccessKeyId);
          throw new StorageCredentialsError('SECRET_REQUIRED', `Enter the ${side} key's secret access key${locked ? ', or unlock the saved storage keys first to keep it' : ''}`);
        };
        sealed = { write: { accessKeyId: input.write.accessKeyId, secretAccessKey: secretFor('write') }, read: { accessKeyId: input.read.accessKeyId, secretAccessKey: secretFor('read') } };
        secretsIn = this.saveTo;
        if (secretsIn === 'passphrase-file' && input.passphrase === undefined) {
          throw new StorageCredentialsError('PASSPHRASE_REQUIRED', 'Choose a storage passphrase (at least 8 characters): it encrypts the secret keys on this machine, and you enter it again after each start to unlock them');
        }
      }
      const next: StorageConfig = { ...location, writeAccessKeyId: input.write.accessKeyId, readAccessKeyId: input.read.accessKeyId, secretsIn };
      if (sealed) {
        if (secretsIn === 'os-keychain') {
          await this.keychain.save(sealed);
          await this.file.remove();
        } else {
          await this.file.save(sealed, input.passphrase as string);
          await this.keychain.remove();
        }
      }
      await config.update((draft) => ({ ...draft, storage: next }));
      if (sealed) this.unlocked = secretsIn === 'passphrase-file' ? sealed : null;
      this.changed();
      return this.status();
    });
  }

  /** Opens the sealed secrets file with the storage passphrase for this run. A wrong passphrase changes nothing. */
  unlock(passphrase: string): Promise<StorageStatus> {
    return this.serialized(async () => {
      const saved = this.saved();
      if (!saved) throw new StorageCredentialsError('NOT_SET', NOT_SET_MESSAGE);
      if (saved.secretsIn === 'passphrase-file') {
        const secrets = await this.file.open(passphrase);
        if (!secrets || !matches(secrets, saved)) throw missingSecrets();
        this.unlocked = secrets;
        this.changed();
      }
      return this.status();
    });
  }

  /** Forgets the unlocked secrets (they stay in the sealed file). */
  lock(): void {
    if (this.unlocked === null) return;
    this.unlocked = null;
    this.changed();
  }

  /** Forgets the bucket and both key pairs: the config section first, then the secrets wherever they are. */
  clear(): Promise<StorageStatus> {
    return this.serialized(async () => {
      await this.configStore().update((draft) => ({ ...draft, storage: null }));
      await this.file.remove();
      await this.keychain.remove();
      this.unlocked = null;
      this.changed();
      return this.status();
    });
  }

  /** Tries the saved credentials (see checkStorage); options override the service's defaults. */
  async test(options: Pick<StorageCheckOptions, 'onProgress' | 'speed'> = {}): Promise<StorageTestResult> {
    const credentials = await this.credentials();
    if (!credentials) throw new StorageCredentialsError('NOT_SET', NOT_SET_MESSAGE);
    return checkStorage(credentials, { ...this.options.check, ...options });
  }

  /** The write key pair for the readiness checks' speed probe, or why it cannot be used. */
  async probeTarget(): Promise<{ target: StorageProbeTarget | null; note: string | null }> {
    try {
      const credentials = await this.credentials();
      return { target: credentials ? probeTargetOf(credentials) : null, note: null };
    } catch (error) {
      return { target: null, note: error instanceof Error ? error.message : String(error) };
    }
  }

  dispose(): void {
    this.unlocked = null;
    this.listeners.clear();
  }

  private saved(): StorageConfig | null {
    return this.configStore().value.storage;
  }

  private configStore(): ConfigAccess {
    if (!this.config) throw new StorageCredentialsError('NO_CONFIG', 'the storage settings are not loaded yet');
    return this.config;
  }

  private unlockedFor(saved: StorageConfig): StorageSecrets | null {
    return this.unlocked && matches(this.unlocked, saved) ? this.unlocked : null;
  }

  /** The key ids the secret store holds secrets for, without unlocking anything. */
  private async storedKeyIds(saved: StorageConfig): Promise<{ write: string; read: string } | null> {
    if (saved.secretsIn === 'passphrase-file') return this.file.keyIds();
    const secrets = await this.keychain.load();
    return secrets ? { write: secrets.write.accessKeyId, read: secrets.read.accessKeyId } : null;
  }

  private async secretsFor(saved: StorageConfig): Promise<StorageSecrets> {
    if (saved.secretsIn === 'os-keychain') {
      if (!this.keychain.available) {
        throw new StorageCredentialsError('NO_KEYCHAIN', 'The storage keys were saved in the desktop app\u2019s OS keychain, which is not available here (headless mode or the CLI): enter them again with a storage passphrase in Settings → Storage or with `tandem storage set`');
      }
      const secrets = await this.keychain.load();
      if (!secrets || !matches(secrets, saved)) throw missingSecrets();
      return secrets;
    }
    const unlocked = this.unlockedFor(saved);
    if (unlocked) return unlocked;
    const ids = await this.file.keyIds();
    if (!ids || ids.write !== saved.writeAccessKeyId || ids.read !== saved.readAccessKeyId) throw missingSecrets();
    throw new StorageCredentialsError('LOCKED', LOCKED_MESSAGE);
  }

  /** One change at a time: a set and a clear must not interleave their writes. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function matches(secrets: StorageSecrets, saved: StorageConfig): boolean {
  return secrets.write.accessKeyId === saved.writeAccessKeyId && secrets.read.accessKeyId === saved.readAccessKeyId;
}

function missingSecrets(): StorageCredentialsError {
  return new StorageCredentialsError('MISSING_SECRETS', 'The secret access keys for the saved key ids are missing: enter both secrets again in Settings → Storage (or with `tandem storage set`)');
}

