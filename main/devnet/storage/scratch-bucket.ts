import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Storage } from '../../adapters/storage/s3-storage';
import type { StoragePort } from '../../ports/storage-port';
import { DevnetS3 } from './devnet-s3';

/**
 * A throwaway bucket on a throwaway devnet S3 server, for the fit test on
 * the embedded devnet: its upload and gather are then timed over the same
 * S3 protocol, server and signing as the joined devnet's, not as plain file
 * writes (which are ten times faster and would promise too much).
 * close() stops the server and deletes everything.
 */
export async function openScratchDevnetBucket(): Promise<{ storage: StoragePort; close(): Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tandem-fit-bucket-'));
  const remove = () => fs.rm(root, { recursive: true, force: true });
  let server: DevnetS3;
  try {
    server = await DevnetS3.start({ root });
  } catch (error) {
    await remove();
    throw error;
  }
  try {
    await server.createBucket('fit');
    const { accessKeyId, secretAccessKey } = await server.issueKey({ bucket: 'fit', access: 'write' });
    const storage = new S3Storage({ endpoint: server.endpoint, region: 'auto', bucket: 'fit', forcePathStyle: true, accessKeyId, secretAccessKey });
    return {
      storage,
      close: async () => {
        storage.close();
        await server.close();
        await remove();
      },
    };
  } catch (error) {
    await server.close();
    await remove();
    throw error;
  }
}
