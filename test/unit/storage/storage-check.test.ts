import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { checkStorage, READ_KEY_CAN_WRITE_WARNING } from '../../../main/services/bucket/storage-check';
import type { StorageCredentials } from '../../../main/ports/storage-credentials';
import type { StoragePort } from '../../../main/ports/storage-port';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { localCredentials } from '../../support/storage-key-pairs';
import { makeTempDir } from '../../support/temp-dir';

const SMALL_SPEED = { streams: 1, bytesPerStream: 64 * 1024, latencySamples: 1 };
const statusOf = (result: Awaited<ReturnType<typeof checkStorage>>) => Object.fromEntries(result.steps.map((s) => [s.id, s.status]));
const detailOf = (result: Awaited<ReturnType<typeof checkStorage>>, id: string) => result.steps.find((s) => s.id === id)?.detail ?? '';

describe('storage test against a local S3 server', () => {
  let s3: LocalS3;
  let credentials: StorageCredentials;
  beforeAll(async () => {
    s3 = await startLocalS3();
    credentials = localCredentials(s3);
  });
  afterAll(async () => s3?.stop());

  /** Whether this server lets the read key write, asked directly: the test's answer must agree. */
  const serverLetsReadKeyWrite = async () => {
    const reader = new S3Storage({ ...credentials, ...credentials.read, maxAttempts: 1 });
    try {
      await reader.put('ground-truth/read-key-write', new Uint8Array([1]));
      await new S3Storage({ ...credentials, ...credentials.write }).delete(['ground-truth/read-key-write']);
      return true;
    } catch {
      return false;
    } finally {
      reader.close();
    }
  };

  it('puts, gets, lists and deletes with the write key, reads with the read key, measures the link, and leaves nothing behind', async () => {
    const progress: string[] = [];
    const result = await checkStorage(credentials, { speed: SMALL_SPEED, onProgress: (p) => progress.push(`${p.completed}/${p.total} ${p.step}`) });
    const canWrite = await serverLetsReadKeyWrite();
    expect(statusOf(result)).toEqual({
      'write.put': 'pass',
      'write.get': 'pass',
      'write.list': 'pass',
      'read.get': 'pass',
      'read.list': 'pass',
      'read.cannot-write': canWrite ? 'warn' : 'pass',
      'write.delete': 'pass',
      speed: 'pass',
    });
    expect(result.ok).toBe(true);
    expect(result.readKeyCanWrite).toBe(canWrite);
    expect(result.warnings).toEqual(canWrite ? [READ_KEY_CAN_WRITE_WARNING] : []);
    expect(READ_KEY_CAN_WRITE_WARNING).toMatch(/^The read key can write: anyone who reads it from the chain could overwrite or delete your updates/);
    expect(result.speed).toMatchObject({ streams: 1, bytesPerDirection: 64 * 1024 });
    expect(result.speed!.uploadMbps).toBeGreaterThan(0);
    expect(result.speed!.downloadMbps).toBeGreaterThan(0);
    expect(detailOf(result, 'speed')).toMatch(/ms round trip; up [\d.]+ Mb\/s, down [\d.]+ Mb\/s/);
    expect(progress[0]).toBe('0/8 Write key uploads a test object');
    expect(progress.at(-1)).toBe('8/8 Done');
    const writer = new S3Storage({ ...credentials, ...credentials.write });
    expect(await writer.list('tandem-probe/')).toEqual([]);
    writer.close();
  });

  it('names a key the server does not know (403) and skips what needed it', async () => {
    const result = await checkStorage({ ...credentials, write: { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'x' } }, { speed: SMALL_SPEED });
    expect(result.ok).toBe(false);
    expect(detailOf(result, 'write.put')).toMatch(/^Refused \(HTTP 403 InvalidAccessKeyId\): 127\.0\.0\.1:\d+ does not know the write key NOSUCHKEY/);
    expect(statusOf(result)).toMatchObject({ 'write.put': 'fail', 'write.get': 'skip', 'read.get': 'skip', 'read.list': 'pass', 'write.delete': 'skip', speed: 'skip' });
  });

  it('names a bucket that does not exist any more, and one the keys may not use', async () => {
    // Keys of a bucket whose data is gone (deleted on the provider's side): the server knows the keys, not the bucket.
    await s3.server.createBucket('gone-bucket');
    const gone = { ...credentials, bucket: 'gone-bucket', write: await s3.server.issueKey({ bucket: 'gone-bucket', access: 'write' }), read: await s3.server.issueKey({ bucket: 'gone-bucket', access: 'read' }) };
    fs.rmSync(path.join(s3.root, 'buckets', 'gone-bucket'), { recursive: true, force: true });
    const result = await checkStorage(gone, { speed: false });
    expect(detailOf(result, 'write.put')).toMatch(/^There is no bucket "gone-bucket" at 127\.0\.0\.1:\d+ \(NoSuchBucket\)\. Check the name/);
    expect(detailOf(result, 'read.list')).toMatch(/NoSuchBucket/);
    const other = await checkStorage({ ...credentials, bucket: 'no-such-bucket' }, { speed: false });
    expect(detailOf(other, 'write.put')).toMatch(/^Refused \(HTTP 403 AccessDenied\): .* may not do this in bucket "no-such-bucket"/);
  });

  it('names an endpoint that refuses connections, one with a bad TLS handshake, and one that never answers', { timeout: 30_000 }, async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await checkStorage({ ...credentials, endpoint: `http://127.0.0.1:${closedPort}` }, { speed: false, timeoutMs: 5_000 });
    expect(detailOf(refused, 'write.put')).toBe(`Cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED). Check the endpoint URL and port, and that no firewall or proxy blocks it.`);

    // https:// to a plain-HTTP server: the TLS handshake fails.
    const tls = await checkStorage({ ...credentials, endpoint: s3.endpoint.replace('http:', 'https:') }, { speed: false, timeoutMs: 5_000 });
    expect(detailOf(tls, 'write.put')).toMatch(/^The secure connection to 127\.0\.0\.1:\d+ failed \(TLS [A-Z_]+\)/);

    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const hung = await checkStorage({ ...credentials, endpoint: `http://127.0.0.1:${port}` }, { speed: false, timeoutMs: 400 });
      expect(detailOf(hung, 'write.put')).toBe(`No answer from 127.0.0.1:${port} within 400 ms. The server is slow or unreachable: check the endpoint and your connection.`);
    } finally {
      silent.close();
    }
  });

  it('names a host that does not resolve', async () => {
    const result = await checkStorage({ ...credentials, endpoint: 'http://no-such-host.invalid' }, { speed: false, timeoutMs: 10_000 });
    expect(detailOf(result, 'write.put')).toMatch(/^Cannot find no-such-host\.invalid \(DNS (ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)\)\. Check the endpoint/);
  });
});

describe('the read key must not write', () => {
  const credentials: StorageCredentials = {
    endpoint: 'https://storage.example.com',
    region: 'auto',
    bucket: 'peer-a',
    forcePathStyle: true,
    write: { accessKeyId: 'WRITEKEY', secretAccessKey: 'w' },
    read: { accessKeyId: 'READKEY', secretAccessKey: 'r' },
  };
  /** One folder seen through both keys; the read key's puts and deletes are refused when `readOnly`. */
  const bucket = (readOnly: boolean) => {
    const temp = makeTempDir();
    const files = new FilesystemStorage(temp.dir);
    const denied = () => Promise.reject(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    const reader: StoragePort = readOnly ? { name: 'reader', get: (k, o) => files.get(k, o), head: (k, o) => files.head(k, o), list: (p, o) => files.list(p, o), put: denied, delete: denied } : files;
    return { files, temp, open: (_: unknown, pair: { accessKeyId: string }) => (pair.accessKeyId === 'READKEY' ? reader : files) };
  };

  it('passes when the server refuses a write with the read key', async () => {
    const { open, files, temp } = bucket(true);
    try {
      const result = await checkStorage(credentials, { open, speed: false });
      expect(result.steps.find((s) => s.id === 'read.cannot-write')).toMatchObject({ status: 'pass', detail: 'the server refused a write with the read key, as it should' });
      expect(result).toMatchObject({ ok: true, readKeyCanWrite: false, warnings: [] });
      expect(await files.list('tandem-probe/')).toEqual([]);
    } finally {
      temp.cleanup();
    }
  });

  it('warns loudly when the read key can write, and deletes what it wrote', async () => {
    const { open, files, temp } = bucket(false);
    try {
      const result = await checkStorage(credentials, { open, speed: false });
      expect(result.steps.find((s) => s.id === 'read.cannot-write')).toMatchObject({ status: 'warn', detail: READ_KEY_CAN_WRITE_WARNING });
      expect(result).toMatchObject({ ok: true, readKeyCanWrite: true, warnings: [READ_KEY_CAN_WRITE_WARNING] });
      expect(await files.list('tandem-probe/')).toEqual([]);
    } finally {
      temp.cleanup();
    }
  });
});
