import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../../main/core/config/config-store';
import type { ModuleContext } from '../../../main/core/module';
import { StorageCredentialsService, storageSecretsFile } from '../../../main/services/bucket/storage-credentials-service';
import { createStorageModule, STORAGE_PASSPHRASE_ENV } from '../../../main/services/bucket/storage-module';
import { LogRing } from '../../../main/core/logging/log-ring';
import { makeTempDir } from '../../support/temp-dir';

const PASSPHRASE = 'module storage passphrase';

describe('the storage module at start', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  /** A started storage module over the config in the temp folder, with `env` as its environment. */
  const start = async (env: NodeJS.ProcessEnv) => {
    const ring = new LogRing();
    const config = await ConfigStore.load(path.join(temp.dir, 'config.json'));
    const context: ModuleContext = {
      emit: () => undefined,
      logger: pino({ level: 'debug' }, ring.stream()),
      paths: { dataDir: temp.dir, configDir: temp.dir, configFile: config.file, logDir: temp.dir, cacheDir: temp.dir },
      config,
    };
    const service = new StorageCredentialsService({ secretsFile: storageSecretsFile({ configDir: temp.dir }) });
    const module = createStorageModule(service, { env });
    module.handlers(context);
    await module.start?.();
    return { service, ring, stop: () => module.stop?.() };
  };

  it('unlocks the keys with the passphrase in the variable that TANDEM_STORAGE_PASSPHRASE_ENV names, and says so when it cannot', async () => {
    const first = await start({});
    await first.service.set({
      endpoint: { kind: 'aws', region: 'us-east-1' },
      bucket: 'peer-a',
      write: { accessKeyId: 'WRITEKEY', secretAccessKey: 'write-secret' },
      read: { accessKeyId: 'READKEY', secretAccessKey: 'read-secret' },
      passphrase: PASSPHRASE,
    });
    await first.stop();

    const unlocked = await start({ [STORAGE_PASSPHRASE_ENV]: 'MY_STORAGE_PASS', MY_STORAGE_PASS: PASSPHRASE });
    expect((await unlocked.service.credentials())?.write.secretAccessKey).toBe('write-secret');
    expect(unlocked.ring.tail(10).map((e) => e.message)).toContain('storage keys unlocked from the environment');
    await unlocked.stop();

    const wrong = await start({ [STORAGE_PASSPHRASE_ENV]: 'MY_STORAGE_PASS', MY_STORAGE_PASS: 'wrong passphrase' });
    expect((await wrong.service.status()).locked).toBe(true);
    expect(wrong.ring.tail(10).map((e) => e.message)).toContain('storage keys stay locked');
    await wrong.stop();

    const unset = await start({ [STORAGE_PASSPHRASE_ENV]: 'MY_STORAGE_PASS' });
    expect((await unset.service.status()).locked).toBe(true);
    expect(unset.ring.tail(10).map((e) => e.message)).toContain('the storage passphrase variable is empty or not set; storage keys stay locked');
    await unset.stop();
  });
});
