import { describe, expect, it } from 'vitest';
import { StorageSetParams, type StorageStatus } from '../../../contract/domains/storage';
import { fieldOfIssue, formFromStatus, paramsFromForm } from '../../../renderer/src/pages/settings/storage-form';

const saved: StorageStatus = {
  location: { endpoint: 'https://minio.example.com:9000', region: 'eu-1', bucket: 'peer-a', forcePathStyle: true, choice: { kind: 's3', url: 'https://minio.example.com:9000', region: 'eu-1' } },
  write: { accessKeyId: 'WRITEKEY', secretSet: true },
  read: { accessKeyId: 'READKEY', secretSet: true },
  secretsIn: 'passphrase-file',
  saveTo: 'passphrase-file',
  locked: true,
  problem: 'Storage keys are locked: unlock them in Settings → Storage',
};

describe('the Settings → Storage form', () => {
  it('shows what is saved, never a secret, and sends back only what changed: empty secrets keep the saved ones', () => {
    const form = formFromStatus(saved);
    expect(form).toMatchObject({ kind: 's3', url: 'https://minio.example.com:9000', s3Region: 'eu-1', bucket: 'peer-a', writeKeyId: 'WRITEKEY', writeSecret: '', readSecret: '', passphrase: '' });
    const built = paramsFromForm({ ...form, bucket: 'peer-b' }, true);
    expect(built).toEqual({ params: { endpoint: { kind: 's3', url: 'https://minio.example.com:9000', region: 'eu-1' }, bucket: 'peer-b', forcePathStyle: true, write: { accessKeyId: 'WRITEKEY' }, read: { accessKeyId: 'READKEY' } } });
    expect(StorageSetParams.safeParse('params' in built ? built.params : null).success).toBe(true);
  });

  it('sends new secrets and the passphrase, and stops two different passphrases before sending anything', () => {
    const form = { ...formFromStatus(null), kind: 'r2' as const, accountId: 'a'.repeat(32), bucket: 'peer-a', writeKeyId: 'W1', writeSecret: 'ws', readKeyId: 'R1', readSecret: 'rs', passphrase: 'long passphrase', passphraseAgain: 'long passphrase' };
    expect(paramsFromForm(form, true)).toEqual({ params: { endpoint: { kind: 'r2', accountId: 'a'.repeat(32) }, bucket: 'peer-a', write: { accessKeyId: 'W1', secretAccessKey: 'ws' }, read: { accessKeyId: 'R1', secretAccessKey: 'rs' }, passphrase: 'long passphrase' } });
    // With the OS keychain there is no passphrase to send.
    expect(paramsFromForm(form, false)).not.toHaveProperty('params.passphrase');
    expect(paramsFromForm({ ...form, passphraseAgain: 'other' }, true)).toEqual({ issue: { path: 'passphraseAgain', message: 'the two passphrases differ' } });
  });

  it('puts the core\u2019s field issues next to the right inputs', () => {
    expect(fieldOfIssue('endpoint.region', 'aws')).toBe('awsRegion');
    expect(fieldOfIssue('endpoint.region', 's3')).toBe('s3Region');
    expect(fieldOfIssue('read.accessKeyId', 'r2')).toBe('readKeyId');
    expect(fieldOfIssue('somewhere.else', 'r2')).toBeNull();
  });
});
