import { DevnetS3, type AccessKey } from '../../main/devnet/storage/devnet-s3';
import { makeTempDir } from './temp-dir';

export interface LocalS3 {
  endpoint: string;
  port: number;
  bucket: string;
  /** A write key of `bucket`. */
  credentials: AccessKey;
  /** A read-only key of `bucket`. */
  readCredentials: AccessKey;
  server: DevnetS3;
  /** The server's data folder (buckets, keys), removed by stop(). */
  root: string;
  stop(): Promise<void>;
}

/**
 * The devnet's S3 server (SigV4 checked, per-key bucket rights, s3rver behind
 * it) on loopback, in a temp folder, with one bucket and a write and a read
 * key for it.
 */
export async function startLocalS3(options: { bucket?: string; port?: number } = {}): Promise<LocalS3> {
  const temp = makeTempDir('tandem-s3-');
  const bucket = options.bucket ?? 'tandem-test';
  const server = await DevnetS3.start({ root: temp.dir, port: options.port ?? 0 });
  await server.createBucket(bucket);
  const credentials = await server.issueKey({ bucket, access: 'write' });
  const readCredentials = await server.issueKey({ bucket, access: 'read' });
  return {
    endpoint: server.endpoint,
    port: server.port,
    bucket,
    credentials,
    readCredentials,
    server,
    root: temp.dir,
    async stop() {
      await server.close();
      temp.cleanup();
    },
  };
}
