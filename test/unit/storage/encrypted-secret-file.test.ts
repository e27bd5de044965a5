import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedSecretFile } from '../../../main/services/bucket/encrypted-secret-file';
import { StorageCredentialsError } from '../../../main/services/bucket/storage-credentials-error';
import { skippedUnless } from '../../support/skip-note';
import { makeTempDir } from '../../support/temp-dir';

const posixModes = process.platform !== 'win32';
const NO_POSIX_MODES = 'Windows has no POSIX file modes';

const SECRETS = {
  write: { accessKeyId: 'WRITEKEYID', secretAccessKey: 'write-secret-5b1f0c7e9a2d4f6b8c0e1a3b5d7f9e2c' },
  read: { accessKeyId: 'READKEYID', secretAccessKey: 'read-secret-8e3a1c5f7b9d2e4a6c8f0b1d3e5a7c9b' },
};

describe('the storage secrets file', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, 'config', 'storage-secrets.json');
  });
  afterEach(() => temp.cleanup());

  it('opens with the passphrase it was sealed with, and holds no secret in the clear', async () => {
    const sealed = new EncryptedSecretFile(file);
    expect(await sealed.open('anything')).toBeNull();
    await sealed.save(SECRETS, 'correct horse battery');
    expect(await sealed.open('correct horse battery')).toEqual(SECRETS);
    expect(await sealed.keyIds()).toEqual({ write: 'WRITEKEYID', read: 'READKEYID' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRETS.write.secretAccessKey);
    expect(text).not.toContain(SECRETS.read.secretAccessKey);
    expect(text).not.toContain('correct horse');
  });

  it('says "wrong passphrase" for a wrong one and changes nothing', async () => {
    const sealed = new EncryptedSecretFile(file);
    await sealed.save(SECRETS, 'correct horse battery');
    const before = fs.readFileSync(file);
    const error = await sealed.open('incorrect horse battery').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageCredentialsError);
    expect((error as StorageCredentialsError).code).toBe('WRONG_PASSPHRASE');
    expect((error as Error).message).toMatch(/Wrong storage passphrase.*nothing was changed/);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(await sealed.open('correct horse battery')).toEqual(SECRETS);
  });

  it('refuses a tampered file as it would a wrong passphrase', async () => {
    const sealed = new EncryptedSecretFile(file);
    await sealed.save(SECRETS, 'correct horse battery');
    const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { sealed: { encoded: string } };
    const bytes = Buffer.from(body.sealed.encoded, 'base64');
    bytes[bytes.length - 5]! ^= 0x01;
    body.sealed.encoded = bytes.toString('base64');
    fs.writeFileSync(file, JSON.stringify(body));
    await expect(sealed.open('correct horse battery')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
  });

  it('leaves a file that is not its own exactly as it was, with a clear error', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"hand": "written"}');
    const sealed = new EncryptedSecretFile(file);
    await expect(sealed.open('correct horse battery')).rejects.toThrow(/is not a Tandem storage secrets file \(it was left as it is\)/);
    await expect(sealed.keyIds()).rejects.toMatchObject({ code: 'BAD_FILE' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"hand": "written"}');
  });

  it.skipIf(!posixModes)(`is private to this user: file 0600 in a 0700 folder${skippedUnless(posixModes, NO_POSIX_MODES)}`, async () => {
    await new EncryptedSecretFile(file).save(SECRETS, 'correct horse battery');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it.skipIf(!posixModes)(`replaces the file whole (a new file renamed into place, never rewritten in place) and leaves no temp files${skippedUnless(posixModes, NO_POSIX_MODES)}`, async () => {
    const sealed = new EncryptedSecretFile(file);
    await sealed.save(SECRETS, 'first passphrase');
    const first = fs.statSync(file).ino;
    // A reader holding the old file keeps seeing the old, complete content.
    const held = fs.openSync(file, 'r');
    try {
      await sealed.save({ ...SECRETS, read: { accessKeyId: 'NEWREADKEY', secretAccessKey: 'new-read-secret' } }, 'second passphrase');
      expect(fs.statSync(file).ino).not.toBe(first);
      expect(JSON.parse(fs.readFileSync(held, 'utf8'))).toMatchObject({ readAccessKeyId: 'READKEYID' });
    } finally {
      fs.closeSync(held);
    }
    expect(fs.readdirSync(path.dirname(file))).toEqual(['storage-secrets.json']);
    expect((await sealed.open('second passphrase'))?.read.accessKeyId).toBe('NEWREADKEY');
    await expect(sealed.open('first passphrase')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
  });

  it('refuses to seal an empty secret, writing nothing', async () => {
    const sealed = new EncryptedSecretFile(file);
    await expect(sealed.save({ ...SECRETS, write: { accessKeyId: 'W', secretAccessKey: '' } }, 'correct horse battery')).rejects.toThrow();
    expect(await sealed.exists()).toBe(false);
  });
});
