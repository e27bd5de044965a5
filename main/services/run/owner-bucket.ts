import type { S3Client } from '@aws-sdk/client-s3';
import type { ChainPort } from '../../ports/chain-port';
import { createS3Client } from '../../adapters/storage/s3-storage';
import { decodeStorageCommitment, type PeerReadAccess } from './storage-commitment';

/**
 * The run owner's bucket, as anyone reads it: the read key its hotkey
 * published in its storage commitment (docs/PROTOCOL.md, section 10). A run's
 * `s3://` shard URLs name that bucket; `tandem run create` puts them there.
 */
export async function ownerReadAccess(chain: Pick<ChainPort, 'commitments'>, netuid: number, owner: string): Promise<PeerReadAccess> {
  const commitment = (await chain.commitments(netuid)).get(owner);
  if (!commitment) throw new Error(`the run's shards are in its owner's bucket, but the owner ${owner} has no storage commitment on subnet ${netuid}`);
  const verdict = decodeStorageCommitment(commitment.data);
  if (!verdict.ok) throw new Error(`the run owner's storage commitment cannot be read: ${verdict.reason}`);
  return verdict.access;
}

/** S3 clients for a run's `s3://` shard URLs: only the owner's bucket, read with its published key. */
export function ownerBucketClients(access: PeerReadAccess): (bucket: string) => S3Client {
  let client: S3Client | undefined;
  return (bucket) => {
    if (bucket !== access.bucket) throw new Error(`the run's shard is in bucket ${bucket}, but its owner publishes bucket ${access.bucket}: only the owner's bucket is read`);
    client ??= createS3Client(access);
    return client;
  };
}
