import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import S3rver from 's3rver';
import { AccessKeyBook, type AccessKey, type BucketAccess, type IssuedKey } from './access-key-book';
import { AtomicObjectStore } from './atomic-object-store';
import { S3Gateway } from './s3-gateway';

export type { AccessKey, BucketAccess, IssuedKey } from './access-key-book';

export interface DevnetS3Options {
  /** Everything lives here: `buckets/` (the objects), `access-keys.json` (0600), `staging/`. */
  root: string;
  host?: string;
  /** 0 (the default) picks a free port; pass the old one to come back on the same endpoint. */
  port?: number;
  logger?: Pick<Logger, 'warn'>;
}

const UPSTREAM_HOST = '127.0.0.1';

/**
 * The devnet's S3-compatible storage: one bucket per peer, each with keys
 * that may read it or write it, and nothing else. Clients speak real S3
 * (path-style, SigV4) to `endpoint`; see README.md in this folder for what
 * is checked and what is not. Buckets, keys and objects survive a restart on
 * the same root.
 */
export class DevnetS3 {
  private constructor(
    readonly endpoint: string,
    readonly port: number,
    private readonly keyBook: AccessKeyBook,
    private readonly store: AtomicObjectStore,
    private readonly s3rver: S3rver,
    private readonly gateway: S3Gateway,
  ) {}

  static async start(options: DevnetS3Options): Promise<DevnetS3> {
    const root = path.resolve(options.root);
    const bucketsDir = path.join(root, 'buckets');
    const stagingDir = path.join(root, 'staging');
    await fs.mkdir(bucketsDir, { recursive: true });
    // Bodies left by a crash mid-upload were never accepted: drop them.
    await fs.rm(stagingDir, { recursive: true, force: true });
    await fs.mkdir(stagingDir, { recursive: true, mode: 0o700 });
    const keyBook = await AccessKeyBook.open(path.join(root, 'access-keys.json'));

    const s3rver = new S3rver({ address: UPSTREAM_HOST, port: 0, silent: true, directory: bucketsDir, vhostBuckets: false });
    const store = new AtomicObjectStore(bucketsDir, stagingDir);
    s3rver.store = s3rver.context.store = store;
    const upstream = await s3rver.run();
    for (const bucket of keyBook.buckets()) await store.putBucket(bucket);

    const gateway = new S3Gateway({ keys: keyBook, upstream: { host: UPSTREAM_HOST, port: upstream.port }, stagingDirectory: stagingDir, logger: options.logger });
    const host = options.host ?? '127.0.0.1';
    let address;
    try {
      address = await gateway.listen(host, options.port ?? 0);
    } catch (error) {
      await s3rver.close();
      throw error;
    }
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return new DevnetS3(`http://${shownHost}:${address.port}`, address.port, keyBook, store, s3rver, gateway);
  }

  buckets(): string[] {
    return this.keyBook.buckets();
  }

  /** Creates the bucket if it is not there yet (no key can: CreateBucket is refused over S3). */
  async createBucket(name: string): Promise<void> {
    await this.keyBook.addBucket(name);
    await this.store.putBucket(name);
  }

  /** A new random key pair for `bucket`, on disk before it is returned. */
  issueKey(grant: { bucket: string; access: BucketAccess }): Promise<AccessKey> {
    return this.keyBook.issue(grant.bucket, grant.access);
  }

  /** True when the key existed. Requests signed with it are refused from now on (InvalidAccessKeyId). */
  revokeKey(accessKeyId: string): Promise<boolean> {
    return this.keyBook.revoke(accessKeyId);
  }

  /** The keys in force, with their secrets (this is a local server: the caller owns them all). */
  keys(bucket?: string): IssuedKey[] {
    return this.keyBook.keys(bucket);
  }

  async close(): Promise<void> {
    await this.gateway.close();
    await this.s3rver.close();
    await this.keyBook.settled();
  }
}
