import { randomBytes } from 'node:crypto';
import type { ChainPort, ChainSigner, ChainWriter } from '../../ports/chain-port';
import type { Logger } from '../../core/logging/logger';
import { openReadOnly } from './peer-directory';
import { commitmentFields, encodeStorageCommitment, type PeerReadAccess } from './storage-commitment';

export interface CommitmentNotice {
  level: 'warning';
  message: string;
}

export interface PublishOptions {
  chain: Pick<ChainPort, 'commitments'> & Pick<ChainWriter, 'commit'>;
  netuid: number;
  hotkey: ChainSigner;
  read: PeerReadAccess;
  logger: Logger;
  /** Tries a write with the read key (default true): a key that can write must not be published unnoticed. */
  checkReadKey?: boolean;
}

/**
 * Makes this peer's storage commitment say what it should: published when the
 * chain holds none or an older one (after a credential change), left alone
 * when it already matches (a commitment costs a transaction). Returns what the
 * user should hear about it.
 */
export async function publishStorageCommitment(options: PublishOptions): Promise<CommitmentNotice[]> {
  const { chain, netuid, hotkey, read, logger } = options;
  const text = encodeStorageCommitment(read);
  const current = (await chain.commitments(netuid)).get(hotkey.address);
  if (current?.data !== text) {
    await chain.commit(netuid, commitmentFields(text), hotkey);
    logger.info({ netuid, bucket: read.bucket, replaced: current !== undefined }, 'published this peer\u2019s storage commitment');
  }
  const notices: CommitmentNotice[] = [];
  if (options.checkReadKey !== false && (await readKeyCanWrite(read, logger))) {
    const message = `The read key ${read.accessKeyId} published on chain can also write to bucket ${read.bucket}: anyone can read it from the chain and overwrite or delete your updates. Make a read-only key for it (Settings → Storage).`;
    logger.warn({ bucket: read.bucket }, message);
    notices.push({ level: 'warning', message });
  }
  return notices;
}

/** Whether the published key can write: a probe object put with it (and deleted again when it went in). */
async function readKeyCanWrite(read: PeerReadAccess, logger: Logger): Promise<boolean> {
  const client = openReadOnly(read);
  const key = `tandem-probe/read-key-check-${randomBytes(6).toString('hex')}`;
  try {
    await client.put(key, new TextEncoder().encode('read-key check: this object should not exist\n'));
  } catch {
    client.close();
    return false;
  }
  await client.delete([key]).catch((error: unknown) => logger.warn({ key, err: error }, 'could not delete the read-key probe object'));
  client.close();
  return true;
}
