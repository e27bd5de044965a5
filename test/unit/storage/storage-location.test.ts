import { describe, expect, it } from 'vitest';
import { bucketNameProblem, StorageEndpointChoice, StorageSetParams } from '../../../contract/domains/storage';
import { describeLocation, endpointChoiceOf, resolveLocation } from '../../../main/services/bucket/storage-location';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const keys = { write: { accessKeyId: 'WRITEKEY', secretAccessKey: 'w' }, read: { accessKeyId: 'READKEY', secretAccessKey: 'r' } };
const issuesOf = (input: unknown) => {
  const parsed = StorageSetParams.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('storage endpoints', () => {
  it('turns an R2 account, an AWS region or an S3 URL into endpoint, region and addressing', () => {
    expect(resolveLocation({ kind: 'r2', accountId: ACCOUNT }, 'peer-updates')).toEqual({ endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com`, region: 'auto', bucket: 'peer-updates', forcePathStyle: true });
    expect(resolveLocation({ kind: 'aws', region: 'eu-central-1' }, 'peer-updates')).toEqual({ endpoint: 'https://s3.eu-central-1.amazonaws.com', region: 'eu-central-1', bucket: 'peer-updates', forcePathStyle: false });
    // A dotted name would not match AWS's wildcard certificate as a virtual host.
    expect(resolveLocation({ kind: 'aws', region: 'us-east-1' }, 'my.peer.bucket').forcePathStyle).toBe(true);
    expect(resolveLocation({ kind: 's3', url: 'http://127.0.0.1:9000', region: 'us-east-1' }, 'b-1', false)).toEqual({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'b-1', forcePathStyle: false });
  });

  it('shows a saved endpoint back as the choice it came from', () => {
    for (const choice of [{ kind: 'r2', accountId: ACCOUNT }, { kind: 'aws', region: 'ap-southeast-2' }, { kind: 's3', url: 'https://minio.example.com:9000', region: 'us-east-1' }] as const) {
      expect(endpointChoiceOf(resolveLocation(choice, 'bucket-a'))).toEqual(choice);
    }
    // An R2-looking host with a port is some other server: kept as a URL.
    expect(endpointChoiceOf({ endpoint: `https://${ACCOUNT}.r2.cloudflarestorage.com:8443`, region: 'auto' }).kind).toBe('s3');
    expect(describeLocation({ endpoint: 'http://127.0.0.1:9000', bucket: 'b-1' })).toBe('bucket "b-1" at 127.0.0.1:9000');
  });

  it('normalises what people paste: spaces, upper-case account ids, a trailing slash, and the default region of an S3 URL', () => {
    expect(StorageEndpointChoice.parse({ kind: 'r2', accountId: ` ${ACCOUNT.toUpperCase()} ` })).toEqual({ kind: 'r2', accountId: ACCOUNT });
    expect(StorageEndpointChoice.parse({ kind: 's3', url: 'https://minio.example.com/' })).toEqual({ kind: 's3', url: 'https://minio.example.com', region: 'us-east-1' });
  });

  it('refuses endpoints it cannot use, saying what is expected', () => {
    const problem = (choice: unknown) => StorageEndpointChoice.safeParse(choice).error?.issues[0]?.message;
    expect(problem({ kind: 'r2', accountId: 'abc' })).toMatch(/32 hexadecimal characters/);
    expect(problem({ kind: 'aws', region: 'Frankfurt' })).toMatch(/AWS region such as us-east-1/);
    expect(problem({ kind: 's3', url: 'minio:9000' })).toMatch(/https:\/\//);
    expect(problem({ kind: 's3', url: 'ftp://minio.example.com' })).toMatch(/must start with https:\/\//);
    expect(problem({ kind: 's3', url: 'https://key:secret@minio.example.com' })).toMatch(/not in the URL/);
    expect(problem({ kind: 's3', url: 'https://minio.example.com/my-bucket' })).toMatch(/without a path/);
    expect(problem({ kind: 's3', url: 'https://minio.example.com', region: 'Auto Region' })).toMatch(/lowercase/);
  });
});

describe('bucket names', () => {
  it('accepts names S3 and R2 accept', () => {
    for (const name of ['abc', 'tandem-peer-42', 'a'.repeat(63), 'logs.example.com', '123bucket']) expect(bucketNameProblem(name)).toBeNull();
  });

  it('names the rule a bad name breaks', () => {
    expect(bucketNameProblem('ab')).toMatch(/3 to 63/);
    expect(bucketNameProblem('a'.repeat(64))).toMatch(/3 to 63/);
    expect(bucketNameProblem('MyBucket')).toMatch(/lowercase/);
    expect(bucketNameProblem('my_bucket')).toMatch(/only lowercase letters, digits/);
    expect(bucketNameProblem('-bucket')).toMatch(/starts and ends/);
    expect(bucketNameProblem('bucket.')).toMatch(/starts and ends/);
    expect(bucketNameProblem('my..bucket')).toMatch(/two dots/);
    expect(bucketNameProblem('192.168.5.4')).toMatch(/IP address/);
    expect(bucketNameProblem('xn--bucket')).toMatch(/cannot start with/);
    expect(bucketNameProblem('bucket-s3alias')).toMatch(/cannot end with/);
  });

  it('checks the whole set-up: a key pair used for both roles and a dotted R2 bucket are refused by field', () => {
    expect(issuesOf({ endpoint: { kind: 'r2', accountId: ACCOUNT }, bucket: 'peer-a', ...keys })).toEqual([]);
    expect(issuesOf({ endpoint: { kind: 'r2', accountId: ACCOUNT }, bucket: 'peer.a', ...keys })).toEqual(['bucket: an R2 bucket name uses only lowercase letters, digits and "-"']);
    expect(issuesOf({ endpoint: { kind: 'aws', region: 'us-east-1' }, bucket: 'peer-a', write: keys.write, read: { ...keys.read, accessKeyId: 'WRITEKEY' } })).toEqual([
      expect.stringMatching(/^read\.accessKeyId: the read key must be a different key from the write key/),
    ]);
    expect(issuesOf({ endpoint: { kind: 'aws', region: 'us-east-1' }, bucket: 'Peer A', write: { accessKeyId: 'a b' }, read: keys.read, passphrase: 'short' })).toEqual([
      expect.stringMatching(/^bucket: /),
      expect.stringMatching(/^write\.accessKeyId: an access key id is 3 to 128 characters without spaces/),
      'passphrase: use at least 8 characters',
    ]);
  });
});
