import { ConfigStore } from '../../core/config/config-store';
import type { AppPaths } from '../../platform/app-paths';
import type { StorageCredentials } from '../../ports/storage-credentials';
import { StorageCredentialsService, storageSecretsFile } from '../../services/bucket/storage-credentials-service';
import { CliError } from './run-context';

/**
 * The bucket saved with `tandem storage set`, its sealed secrets opened with
 * the passphrase in the named environment variable; null when none is saved.
 */
export async function savedBucket(paths: AppPaths, passphraseEnv: string | undefined): Promise<StorageCredentials | null> {
  const config = await ConfigStore.load(paths.configFile);
  const service = new StorageCredentialsService({ secretsFile: storageSecretsFile(paths), config });
  try {
    if (config.value.storage?.secretsIn === 'passphrase-file') {
      const passphrase = passphraseEnv ? process.env[passphraseEnv] : undefined;
      if (!passphrase) throw new CliError('the storage keys are sealed with a passphrase: give it with --storage-passphrase-env <VAR>');
      await service.unlock(passphrase);
    }
    return await service.credentials();
  } catch (error) {
    throw error instanceof CliError ? error : new CliError((error as Error).message);
  } finally {
    service.dispose();
  }
}
