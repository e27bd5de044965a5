import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { makeTempDir } from './temp-dir';

export interface LocalS3 {
  endpoint: string;
  port: number;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/** A real S3 HTTP server (s3rver) on loopback, with one bucket, in a temp folder. */
export async function startLocalS3(options: { bucket?: string; port?: number } = {}): Promise<LocalS3> {
  const temp = makeTempDir('tandem-s3-');
  const bucket = options.bucket ?? 'tandem-test';
  const server = new S3rver({ port: options.port ?? 0, address: '127.0.0.1', silent: true, directory: temp.dir, configureBuckets: [{ name: bucket }] });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async stop() {
      await server.close();
      temp.cleanup();
    },
  };
}
