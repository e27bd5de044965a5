import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageSetParams } from '../../../contract/domains/storage';
import { ConfigStore } from '../../../main/core/config/config-store';
import { StorageCredentialsService, storageSecretsFile } from '../../../main/services/bucket/storage-credentials-service';
import type { Keychain } from '../../../main/adapters/keychain';
import { makeTempDir } from '../../support/temp-dir';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const WRITE_SECRET = 'write-secret-2f7c9e1a3b5d7f9e2c4a6b8d0f1e3a5c';
const READ_SECRET = 'read-secret-9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a';
const PASSPHRASE = 'storage passphrase 1';

const setParams = (overrides: Record<string, unknown> = {}) =>
  StorageSetParams.parse({
    endpoint: { kind: 'r2', accountId: ACCOUNT },
    bucket: 'peer-updates',
    write: { accessKeyId: 'WRITEKEY', secretAccessKey: WRITE_SECRET },
    read: { accessKeyId: 'READKEY', secretAccessKey: READ_SECRET },
    passphrase: PASSPHRASE,
    ...overrides,
  });

/** An OS keychain that lives in memory, as safeStorage would behave on a desktop. */
function memoryKeychain(): Keychain & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    available: true,
    save: async (id, secret) => void items.set(id, secret),
    load: async (id) => items.get(id) ?? null,
    remove: async (id) => void items.delete(id),
  };
}

describe('storage credentials', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let configFile: string;
  let secretsFile: string;
  const open = async (keychain?: Keychain) => new StorageCredentialsService({ secretsFile, config: await ConfigStore.load(configFile), ...(keychain ? { keychain } : {}) });

  beforeEach(() => {
    temp = makeTempDir();
    configFile = path.join(temp.dir, 'config.json');
    secretsFile = storageSecretsFile({ configDir: temp.dir });
  });
  afterEach(() => temp.cleanup());

  it('has nothing set at first: null credentials and an empty status', async () => {
    const service = await open();
    expect(await service.credentials()).toBeNull();
    expect(await service.status()).toEqual({ location: null, write: null, read: null, secretsIn: null, saveTo: 'passphrase-file', locked: false, problem: null });
    await expect(service.unlock(PASSPHRASE)).rejects.toThrow(/No storage is set up yet/);
  });

  it('headless: keeps the non-secret part in the config and the secrets sealed; after a restart they are locked until the right passphrase', async () => {
    const service = await open();
    let changes = 0;
    service.onChange(() => changes++);
    const status = await service.set(setParams());
    expect(changes).toBe(1);
    expect(status).toMatchObject({
      location: { endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`, region: 'auto', bucket: 'peer-updates', choice: { kind: 'r2', accountId: ACCOUNT } },
      write: { accessKeyId: 'WRITEKEY', secretSet: true },
      read: { accessKeyId: 'READKEY', secretSet: true },
      secretsIn: 'passphrase-file',
      locked: false,
      problem: null,
    });
    // Unlocked right after setting: no need to type the passphrase twice.
    expect(await service.credentials()).toEqual({
      endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`,
      region: 'auto',
      bucket: 'peer-updates',
      forcePathStyle: true,
      write: { accessKeyId: 'WRITEKEY', secretAccessKey: WRITE_SECRET },
      read: { accessKeyId: 'READKEY', secretAccessKey: READ_SECRET },
    });
    const config = fs.readFileSync(configFile, 'utf8');
    expect(JSON.parse(config).storage).toEqual({ endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`, region: 'auto', bucket: 'peer-updates', forcePathStyle: true, writeAccessKeyId: 'WRITEKEY', readAccessKeyId: 'READKEY', secretsIn: 'passphrase-file' });
    for (const text of [config, fs.readFileSync(secretsFile, 'utf8')]) {
      expect(text).not.toContain(WRITE_SECRET);
      expect(text).not.toContain(READ_SECRET);
    }

    const restarted = await open();
    expect(await restarted.status()).toMatchObject({ locked: true, write: { secretSet: true }, problem: 'Storage keys are locked: unlock them in Settings → Storage' });
    await expect(restarted.credentials()).rejects.toThrow('Storage keys are locked: unlock them in Settings → Storage');
    await expect(restarted.unlock('not the passphrase')).rejects.toThrow(/Wrong storage passphrase/);
    expect((await restarted.status()).locked).toBe(true);
    const unlocked = await restarted.unlock(PASSPHRASE);
    expect(unlocked).toMatchObject({ locked: false, problem: null });
    expect((await restarted.credentials())?.write.secretAccessKey).toBe(WRITE_SECRET);
    restarted.lock();
    expect((await restarted.status()).locked).toBe(true);
  });

  it('asks for what it needs and writes nothing until it has it', async () => {
    const service = await open();
    await expect(service.set(setParams({ passphrase: undefined }))).rejects.toThrow(/Choose a storage passphrase/);
    await expect(service.set(setParams({ write: { accessKeyId: 'WRITEKEY' } }))).rejects.toThrow("Enter the write key's secret access key");
    expect(fs.existsSync(configFile)).toBe(false);
    expect(fs.existsSync(secretsFile)).toBe(false);
  });

  it('changes the bucket without the secrets or the passphrase, even while locked; a new key id needs its secret', async () => {
    await (await open()).set(setParams());
    const sealed = fs.readFileSync(secretsFile);
    const restarted = await open();
    const moved = await restarted.set(setParams({ bucket: 'other-bucket', write: { accessKeyId: 'WRITEKEY' }, read: { accessKeyId: 'READKEY' }, passphrase: undefined }));
    expect(moved).toMatchObject({ location: { bucket: 'other-bucket' }, locked: true, write: { secretSet: true } });
    expect(fs.readFileSync(secretsFile)).toEqual(sealed);
    await expect(restarted.set(setParams({ write: { accessKeyId: 'WRITEKEY' }, read: { accessKeyId: 'NEWREADKEY' }, passphrase: undefined }))).rejects.toThrow(
      "Enter the write key's secret access key, or unlock the saved storage keys first to keep it",
    );
    // Unlocked, a new read key keeps the saved write secret.
    await restarted.unlock(PASSPHRASE);
    await restarted.set(setParams({ write: { accessKeyId: 'WRITEKEY' }, read: { accessKeyId: 'NEWREADKEY', secretAccessKey: 'new-read-secret' } }));
    expect((await restarted.credentials())?.write.secretAccessKey).toBe(WRITE_SECRET);
    expect((await restarted.credentials())?.read).toEqual({ accessKeyId: 'NEWREADKEY', secretAccessKey: 'new-read-secret' });
  });

  it('desktop: keeps the secrets in the OS keychain (nothing to unlock); headless then says why it cannot use them', async () => {
    const keychain = memoryKeychain();
    const desktop = await open(keychain);
    expect((await desktop.status()).saveTo).toBe('os-keychain');
    const status = await desktop.set(setParams({ passphrase: undefined }));
    expect(status).toMatchObject({ secretsIn: 'os-keychain', locked: false, problem: null, write: { secretSet: true } });
    expect(fs.existsSync(secretsFile)).toBe(false);
    expect([...keychain.items.keys()]).toEqual(['storage-secrets']);
    expect((await (await open(keychain)).credentials())?.read.secretAccessKey).toBe(READ_SECRET);

    const headless = await open();
    const seen = await headless.status();
    expect(seen).toMatchObject({ secretsIn: 'os-keychain', locked: false, write: { secretSet: false } });
    expect(seen.problem).toMatch(/saved in the desktop app’s OS keychain, which is not available here/);
    await expect(headless.credentials()).rejects.toThrow(/OS keychain, which is not available here/);
  });

  it('spots secrets that belong to other key ids (a config edited by hand) and asks for them again', async () => {
    await (await open()).set(setParams());
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.storage.readAccessKeyId = 'EDITEDKEY';
    fs.writeFileSync(configFile, JSON.stringify(config));
    const service = await open();
    expect(await service.status()).toMatchObject({ locked: false, write: { secretSet: true }, read: { accessKeyId: 'EDITEDKEY', secretSet: false } });
    await expect(service.credentials()).rejects.toThrow(/secret access keys for the saved key ids are missing/);
  });

  it('clears the config section and the secrets wherever they are', async () => {
    const keychain = memoryKeychain();
    const service = await open(keychain);
    await service.set(setParams());
    let changes = 0;
    service.onChange(() => changes++);
    expect(await service.clear()).toMatchObject({ location: null, secretsIn: null });
    expect(changes).toBe(1);
    expect(await service.credentials()).toBeNull();
    expect(keychain.items.size).toBe(0);
    expect(fs.existsSync(secretsFile)).toBe(false);
    expect(JSON.parse(fs.readFileSync(configFile, 'utf8')).storage).toBeNull();
  });
});
