import { z } from 'zod';

/**
 * This peer's own bucket and its two key pairs, as the rest of the core uses
 * them. The write pair signs uploads and never leaves this machine; the read
 * pair is what gets published on chain so other peers can fetch the updates.
 */
export interface StorageKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StorageLocation {
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
}

export interface StorageCredentials extends StorageLocation {
  write: StorageKeyPair;
  read: StorageKeyPair;
}

/** The secret half as the secret stores keep it: both pairs, so a store can tell whose secrets it holds. */
export interface StorageSecrets {
  write: StorageKeyPair;
  read: StorageKeyPair;
}

const KeyPairShape = z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).strict();

/** What a secret store must give back before the core trusts it. */
export const StorageSecretsShape = z.object({ write: KeyPairShape, read: KeyPairShape }).strict();
