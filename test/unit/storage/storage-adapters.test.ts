import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { StorageError, type StoragePort } from '../../../main/ports/storage-port';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { makeTempDir } from '../../support/temp-dir';

// The same behaviour is required of every adapter, so one suite runs against each.
const adapters: Array<[string, () => Promise<{ storage: StoragePort; close: () => Promise<void> }>]> = [
  [
    'filesystem',
    async () => {
      const temp = makeTempDir();
      return { storage: new FilesystemStorage(temp.dir), close: async () => temp.cleanup() };
    },
  ],
  [
    's3 (local server)',
    async () => {
      const s3 = await startLocalS3();
      const storage = new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, ...s3.credentials, maxAttempts: 2 });
      return {
        storage,
        close: async () => {
          storage.close();
          await s3.stop();
        },
      };
    },
  ],
];

describe.each(adapters)('storage adapter: %s', (_name, make) => {
  let storage: StoragePort;
  let close: () => Promise<void>;
  beforeAll(async () => ({ storage, close } = await make()));
  afterAll(async () => close());

  it('round-trips bytes exactly and reports missing objects as null', async () => {
    const data = crypto.randomBytes(100_003);
    await storage.put('gradient-7-3-v1', data);
    expect(Buffer.from((await storage.get('gradient-7-3-v1'))!)).toEqual(data);
    expect(await storage.get('gradient-7-4-v1')).toBeNull();
    expect(await storage.head('gradient-7-4-v1')).toBeNull();
    expect(await storage.head('gradient-7-3-v1')).toMatchObject({ key: 'gradient-7-3-v1', size: 100_003 });
  });

  it('lists by prefix, including nested keys, and deletes', async () => {
    await storage.put('checkpoints/1/5/model.safetensors', new Uint8Array([1, 2, 3]));
    await storage.put('checkpoints/1/latest.json', new TextEncoder().encode('{"window":5}'));
    await storage.put('gradient-8-3-v1', new Uint8Array([9]));
    const keys = (await storage.list('checkpoints/1/')).map((o) => o.key).sort();
    expect(keys).toEqual(['checkpoints/1/5/model.safetensors', 'checkpoints/1/latest.json']);
    expect((await storage.list('gradient-')).map((o) => o.key).sort()).toEqual(['gradient-7-3-v1', 'gradient-8-3-v1']);
    await storage.delete(['gradient-8-3-v1', 'checkpoints/1/latest.json']);
    expect((await storage.list('')).map((o) => o.key).sort()).toEqual(['checkpoints/1/5/model.safetensors', 'gradient-7-3-v1']);
  });

  it('refuses an object over the size limit without handing it over', async () => {
    await storage.put('gradient-9-1-v1', new Uint8Array(5000));
    await expect(storage.get('gradient-9-1-v1', { maxBytes: 4999 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect((await storage.get('gradient-9-1-v1', { maxBytes: 5000 }))?.byteLength).toBe(5000);
  });

  it.each(['../escape', '/absolute', 'a/../b', '.hidden', 'a b', ''])('rejects the key %j', async (key) => {
    await expect(storage.put(key, new Uint8Array(1))).rejects.toBeInstanceOf(StorageError);
  });
});

describe('S3 adapter failures', () => {
  let s3: LocalS3;
  beforeAll(async () => (s3 = await startLocalS3()));
  afterAll(async () => s3.stop());

  it('uploads a large payload in parts', async () => {
    const storage = new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, ...s3.credentials, multipartThresholdBytes: 5 * 1024 * 1024 });
    const data = crypto.randomBytes(12 * 1024 * 1024 + 17);
    await storage.put('gradient-1-1-v1', data);
    expect(crypto.createHash('sha256').update((await storage.get('gradient-1-1-v1'))!).digest('hex')).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    storage.close();
  });

  it('names refusals, also a bare 403 that HEAD answers with when the server sends no error code', async () => {
    const reader = new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, ...s3.readCredentials, maxAttempts: 1 });
    await expect(reader.put('gradient-3-1-v1', new Uint8Array(1))).rejects.toThrow(/^s3:tandem-test@127\.0\.0\.1:\d+: gradient-3-1-v1: AccessDenied \(HTTP 403\): Access Denied: /);
    reader.close();
    const bare = http.createServer((_req, res) => res.writeHead(403).end());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const storage = new S3Storage({ endpoint: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`, bucket: 'x-bucket', accessKeyId: 'a', secretAccessKey: 'b', maxAttempts: 1 });
    await expect(storage.head('gradient-3-1-v1')).rejects.toThrow(/: gradient-3-1-v1: Forbidden \(HTTP 403\): the key was refused \(unknown, revoked or wrong secret\) or may not do this on this bucket$/);
    storage.close();
    await new Promise((resolve) => bare.close(resolve));
  });

  it('gives up with UNAVAILABLE after its retries when the server is gone', async () => {
    const other = await startLocalS3();
    const storage = new S3Storage({ endpoint: other.endpoint, bucket: other.bucket, ...other.credentials, maxAttempts: 2 });
    await other.stop();
    await expect(storage.put('gradient-2-1-v1', new Uint8Array(10))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    storage.close();
  });
});
