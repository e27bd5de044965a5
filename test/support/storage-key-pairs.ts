import type { StorageCredentials, StorageKeyPair } from '../../main/ports/storage-credentials';
import type { LocalS3 } from './local-s3-server';

/**
 * The write key pair and the read-only key pair the local S3 server issued
 * for its bucket: the server checks signatures and rights, so the read pair
 * really cannot write.
 */
export function localKeyPairs(s3: LocalS3): { write: StorageKeyPair; read: StorageKeyPair } {
  return { write: { ...s3.credentials }, read: { ...s3.readCredentials } };
}

export function localCredentials(s3: LocalS3): StorageCredentials {
  return { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, forcePathStyle: true, ...localKeyPairs(s3) };
}
