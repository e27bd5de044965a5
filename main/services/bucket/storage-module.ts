import { ContractError } from '../../../contract';
import { storageEvents, type storageMethods, type StorageTestResult } from '../../../contract/domains/storage';
import { ConfigError } from '../../core/config/config-store';
import type { CoreModule, ModuleContext } from '../../core/module';
import { asCoreHandlers, domainEmitter, type DomainHandlers } from '../../core/domain-module';
import { StorageCredentialsError } from './storage-credentials-error';
import type { StorageCredentialsService } from './storage-credentials-service';

/**
 * Names the environment variable that holds the storage passphrase, so the
 * keys unlock at start without the passphrase on a command line
 * (`tandem start --storage-passphrase-env VAR` sets it).
 */
export const STORAGE_PASSPHRASE_ENV = 'TANDEM_STORAGE_PASSPHRASE_ENV';

/** Storage failures become FAILED contract errors with their (secret-free) message; a refused config names the field. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StorageCredentialsError) throw new ContractError('FAILED', error.message);
    if (error instanceof ConfigError) throw new ContractError('INVALID_PARAMS', error.message, error.issues);
    throw error;
  }
}

/**
 * The storage domain of the core: this peer's bucket and key pairs. Results
 * carry key ids and flags only; secrets arrive in storage.set and
 * storage.unlock and never go back out.
 */
export function createStorageModule(service: StorageCredentialsService, options: { env?: NodeJS.ProcessEnv } = {}): CoreModule {
  let context: ModuleContext | undefined;
  let unsubscribe: (() => void) | undefined;
  let testing: Promise<StorageTestResult> | null = null;
  return {
    name: 'storage',
    handlers(ctx) {
      context = ctx;
      service.useConfig(ctx.config);
      const log = ctx.logger;
      const emit = domainEmitter(ctx, storageEvents);
      const runTest = async () => {
        const result = await service.test({ onProgress: (progress) => emit('storage.testProgress', progress) });
        const failed = result.steps.filter((s) => s.status === 'fail').map((s) => s.id);
        log.info({ ok: result.ok, bucket: result.bucket, failed, readKeyCanWrite: result.readKeyCanWrite, speed: result.speed }, 'storage tested');
        if (result.readKeyCanWrite) log.warn('the read key can write: anyone who reads it from the chain could overwrite or delete this peer\u2019s updates');
        emit('storage.testResult', result);
        return result;
      };
      const handlers: DomainHandlers<typeof storageMethods> = {
        'storage.get': () => guard(() => service.status()),
        'storage.set': (p) =>
          guard(async () => {
            const status = await service.set(p);
            log.info({ bucket: status.location?.bucket, endpoint: status.location?.endpoint, writeKey: status.write?.accessKeyId, readKey: status.read?.accessKeyId, secretsIn: status.secretsIn }, 'storage credentials saved');
            return status;
          }),
        'storage.unlock': (p) =>
          guard(async () => {
            const status = await service.unlock(p.passphrase);
            log.info('storage keys unlocked');
            return status;
          }),
        // One test at a time: a second click while one runs gets the same result.
        'storage.test': () => guard(() => (testing ??= runTest().finally(() => (testing = null)))),
        'storage.clear': () =>
          guard(async () => {
            const status = await service.clear();
            log.info('storage credentials cleared');
            return status;
          }),
      };
      return asCoreHandlers(handlers);
    },
    async start() {
      const ctx = context;
      if (!ctx) return;
      const emit = domainEmitter(ctx, storageEvents);
      unsubscribe = service.onChange(() => {
        void service.status().then(
          (status) => emit('storage.status', status),
          (error: unknown) => ctx.logger.warn({ err: error }, 'storage status failed'),
        );
      });
      const env = options.env ?? process.env;
      const variable = env[STORAGE_PASSPHRASE_ENV];
      if (!variable) return;
      const passphrase = env[variable];
      if (!passphrase) {
        ctx.logger.warn({ variable }, 'the storage passphrase variable is empty or not set; storage keys stay locked');
        return;
      }
      await service.unlock(passphrase).then(
        () => ctx.logger.info({ variable }, 'storage keys unlocked from the environment'),
        (error: unknown) => ctx.logger.warn({ variable, reason: error instanceof Error ? error.message : String(error) }, 'storage keys stay locked'),
      );
    },
    stop() {
      unsubscribe?.();
      service.dispose();
    },
  };
}
