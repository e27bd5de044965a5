import { createRequire } from 'node:module';
import type { StorageCredentials, StorageKeyPair } from '../../main/storage/storage-credentials';
import type { LocalS3 } from './local-s3-server';

const require = createRequire(import.meta.url);

/**
 * A write key pair and a different read key pair the local S3 server accepts.
 * s3rver knows one key (S3RVER) and checks only that a key id exists, so a
 * second id is registered with it; it grants every key every right, so the
 * read pair here CAN write. Tests that care ask the server what it allows.
 */
export function localKeyPairs(s3: LocalS3): { write: StorageKeyPair; read: StorageKeyPair } {
  const read = { accessKeyId: 'TANDEMREADKEY', secretAccessKey: 'tandem-read-secret-for-tests' };
  const accounts = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  accounts.DUMMY_ACCOUNT.createKeyPair(read.accessKeyId, read.secretAccessKey);
  // s3rver's one secret equals its key id; it does not verify signatures, so a distinct secret lets a test tell the two apart.
  const write = s3.credentials.secretAccessKey === s3.credentials.accessKeyId ? { ...s3.credentials, secretAccessKey: 'tandem-write-secret-for-tests' } : { ...s3.credentials };
  return { write, read };
}

export function localCredentials(s3: LocalS3): StorageCredentials {
  return { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, forcePathStyle: true, ...localKeyPairs(s3) };
}
