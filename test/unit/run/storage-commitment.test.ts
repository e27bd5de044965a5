import { describe, expect, it } from 'vitest';
import { commitmentFields, decodeStorageCommitment, encodeStorageCommitment, MAX_FIELD_BYTES, type PeerReadAccess } from '../../../main/services/run/storage-commitment';

const r2: PeerReadAccess = {
  endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
  region: 'auto',
  bucket: 'tandem-peer-7',
  forcePathStyle: true,
  accessKeyId: 'a'.repeat(32),
  secretAccessKey: 'f'.repeat(64),
};

function roundTrip(access: PeerReadAccess): PeerReadAccess {
  const text = new TextDecoder().decode(Buffer.concat(commitmentFields(encodeStorageCommitment(access))));
  const verdict = decodeStorageCommitment(text);
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.access;
}

describe('storage commitment tandem/1', () => {
  it('writes R2 in its short form and reads it back, in fields of at most 128 bytes', () => {
    const text = encodeStorageCommitment(r2);
    expect(text).toBe(`tandem/1 r2:0123456789abcdef0123456789abcdef tandem-peer-7 ${'a'.repeat(32)} ${'f'.repeat(64)}`);
    const fields = commitmentFields(text);
    expect(fields.length).toBe(2);
    expect(fields.every((f) => f.byteLength <= MAX_FIELD_BYTES)).toBe(true);
    expect(roundTrip(r2)).toEqual(r2);
  });

  it('reads back AWS (virtual-hosted) and any S3 URL with its region', () => {
    const aws = { ...r2, endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1', forcePathStyle: false, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    expect(encodeStorageCommitment(aws)).toMatch(/^tandem\/1 aws:eu-west-1 /);
    expect(roundTrip(aws)).toEqual(aws);
    const minio = { ...r2, endpoint: 'http://192.168.1.20:9000', region: 'us-east-1' };
    expect(encodeStorageCommitment(minio)).toMatch(/ us-east-1$/);
    expect(roundTrip(minio)).toEqual(minio);
  });

  it('refuses to write what readers could not read', () => {
    expect(() => encodeStorageCommitment({ ...r2, bucket: 'Bad_Bucket' })).toThrow(/bucket/);
    expect(() => encodeStorageCommitment({ ...r2, secretAccessKey: 'has space' })).toThrow(/read secret/);
    expect(() => encodeStorageCommitment({ ...r2, endpoint: `https://example.com/${'p'.repeat(250)}` })).toThrow(/3 fields of 128 bytes/);
  });

  it('names what is wrong with garbage, foreign and newer commitments', () => {
    expect(decodeStorageCommitment('')).toEqual({ ok: false, reason: 'empty commitment' });
    expect(decodeStorageCommitment('\u0001\u0002garbage')).toMatchObject({ ok: false, reason: expect.stringContaining('non-text') });
    expect(decodeStorageCommitment('a'.repeat(32) + 'b'.repeat(96))).toMatchObject({ ok: false, reason: expect.stringContaining('not a Tandem storage commitment') });
    expect(decodeStorageCommitment('tandem/2 r2:x b k s')).toMatchObject({ ok: false, reason: expect.stringContaining('newer Tandem') });
    expect(decodeStorageCommitment('tandem/1 r2:0123456789abcdef0123456789abcdef bucket key')).toMatchObject({ ok: false, reason: expect.stringContaining('3 fields') });
    expect(decodeStorageCommitment('tandem/1 r2:nothex bucket key secret')).toMatchObject({ ok: false, reason: expect.stringContaining('R2 account') });
    expect(decodeStorageCommitment('tandem/1 ftp://host bucket key secret')).toMatchObject({ ok: false, reason: expect.stringContaining('not http(s)') });
    expect(decodeStorageCommitment('tandem/1 https://u:p@host bucket key secret')).toMatchObject({ ok: false, reason: expect.stringContaining('credentials') });
    expect(decodeStorageCommitment('tandem/1 https://host B! key secret')).toMatchObject({ ok: false, reason: expect.stringContaining('bucket') });
  });
});
