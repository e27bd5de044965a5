import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CreateBucketCommand, DeleteObjectsCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetS3, type AccessKey } from '../../../main/devnet/storage/devnet-s3';
import { NodeSha256 } from '../../../main/devnet/storage/sigv4-verifier';
import { S3Storage } from '../../../main/adapters/storage/s3-storage';
import { makeTempDir } from '../../support/temp-dir';

const sha256 = (data: Uint8Array | string) => crypto.createHash('sha256').update(data).digest('hex');

interface RawAnswer {
  status: number;
  body: string;
}

/** One request signed by the SDK's own signer, then sent as it is, so a test can change what the signature covers. */
async function signedRequest(
  endpoint: string,
  key: AccessKey,
  request: { method: string; path: string; body?: Buffer; signedHash?: string; signingDate?: Date; query?: Record<string, string> },
): Promise<RawAnswer> {
  const url = new URL(endpoint);
  const body = request.body ?? Buffer.alloc(0);
  const signer = new SignatureV4({ credentials: key, region: 'auto', service: 's3', sha256: NodeSha256, uriEscapePath: false });
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': request.signedHash ?? sha256(body) };
  if (body.length > 0) headers['content-length'] = String(body.length);
  const signed = await signer.sign({ method: request.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: request.path, query: request.query ?? {}, headers }, { signingDate: request.signingDate });
  const query = new URLSearchParams(request.query ?? {}).toString();
  return send(url, request.method, request.path + (query ? `?${query}` : ''), signed.headers, body);
}

function send(url: URL, method: string, target: string, headers: Record<string, string>, body?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (answer: RawAnswer) => /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1];

describe('devnet S3 server: signatures and bucket rights', () => {
  const temp = makeTempDir('tandem-devnet-s3-');
  let server: DevnetS3;
  let writerA: AccessKey;
  let readerA: AccessKey;
  let writerB: AccessKey;
  const storage = (bucket: string, key: AccessKey) => new S3Storage({ endpoint: server.endpoint, bucket, ...key, maxAttempts: 1 });

  beforeAll(async () => {
    server = await DevnetS3.start({ root: temp.dir });
    await server.createBucket('peer-a');
    await server.createBucket('peer-b');
    writerA = await server.issueKey({ bucket: 'peer-a', access: 'write' });
    readerA = await server.issueKey({ bucket: 'peer-a', access: 'read' });
    writerB = await server.issueKey({ bucket: 'peer-b', access: 'write' });
  });
  afterAll(async () => {
    await server.close();
    temp.cleanup();
  });

  it('a write key puts, gets, heads, lists and deletes; LastModified is when the object appeared, to the millisecond', async () => {
    const a = storage('peer-a', writerA);
    const data = crypto.randomBytes(70_001);
    const before = Date.now();
    await a.put('gradient-3-1-v1', data);
    const after = Date.now();
    expect(Buffer.from((await a.get('gradient-3-1-v1'))!)).toEqual(data);
    const head = (await a.head('gradient-3-1-v1'))!;
    expect(head.size).toBe(70_001);
    expect(head.lastModified.getTime()).toBeGreaterThanOrEqual(before);
    expect(head.lastModified.getTime()).toBeLessThanOrEqual(after);
    expect(await a.list('gradient-3-')).toEqual([{ key: 'gradient-3-1-v1', size: 70_001, lastModified: head.lastModified }]);
    await a.delete(['gradient-3-1-v1']);
    expect(await a.head('gradient-3-1-v1')).toBeNull();
    expect(await a.get('gradient-3-1-v1')).toBeNull();
    a.close();
  });

  it('a multipart upload arrives whole', async () => {
    const a = new S3Storage({ endpoint: server.endpoint, bucket: 'peer-a', ...writerA, maxAttempts: 1, multipartThresholdBytes: 5 * 1024 * 1024 });
    const data = crypto.randomBytes(10 * 1024 * 1024 + 123);
    await a.put('checkpoints/1/model.bin', data);
    expect(sha256((await a.get('checkpoints/1/model.bin'))!)).toBe(sha256(data));
    a.close();
  });

  it('a read key gets, heads and lists its bucket, but may not put or delete there', async () => {
    const a = storage('peer-a', writerA);
    await a.put('gradient-4-1-v1', new Uint8Array([1, 2, 3]));
    const reader = storage('peer-a', readerA);
    expect(await reader.get('gradient-4-1-v1')).toEqual(new Uint8Array([1, 2, 3]));
    expect((await reader.head('gradient-4-1-v1'))?.size).toBe(3);
    expect((await reader.list('gradient-4-')).map((o) => o.key)).toEqual(['gradient-4-1-v1']);
    await expect(reader.put('gradient-4-1-v1', new Uint8Array([9]))).rejects.toThrow(/^s3:peer-a@127\.0\.0\.1:\d+: gradient-4-1-v1: AccessDenied \(HTTP 403\): .*may only read bucket peer-a/);
    await expect(reader.delete(['gradient-4-1-v1'])).rejects.toThrow(/AccessDenied \(HTTP 403\)/);
    expect(await a.get('gradient-4-1-v1')).toEqual(new Uint8Array([1, 2, 3]));
    reader.close();
    a.close();
  });

  it("a key of one bucket can neither read nor write another peer's bucket", async () => {
    const b = storage('peer-b', writerB);
    await b.put('gradient-5-2-v1', new Uint8Array([7]));
    const intruder = storage('peer-b', writerA);
    await expect(intruder.get('gradient-5-2-v1')).rejects.toThrow(/AccessDenied \(HTTP 403\): .*no access to bucket peer-b/);
    // HEAD answers have no body: the code comes from the x-amz-error-code header.
    await expect(intruder.head('gradient-5-2-v1')).rejects.toThrow(/: AccessDenied \(HTTP 403\)$/);
    await expect(intruder.list('')).rejects.toThrow(/AccessDenied/);
    await expect(intruder.put('gradient-5-2-v1', new Uint8Array([0]))).rejects.toThrow(/AccessDenied/);
    await expect(intruder.delete(['gradient-5-2-v1'])).rejects.toThrow(/AccessDenied/);
    expect(await b.get('gradient-5-2-v1')).toEqual(new Uint8Array([7]));
    intruder.close();
    b.close();
  });

  it('refuses an unknown key id, a wrong secret and a revoked key by name', async () => {
    const unknown = storage('peer-a', { accessKeyId: 'TDK00000000000000000', secretAccessKey: writerA.secretAccessKey });
    await expect(unknown.get('gradient-1-1-v1')).rejects.toThrow(/InvalidAccessKeyId \(HTTP 403\)/);
    const wrongSecret = storage('peer-a', { accessKeyId: writerA.accessKeyId, secretAccessKey: readerA.secretAccessKey });
    await expect(wrongSecret.list('')).rejects.toThrow(/SignatureDoesNotMatch \(HTTP 403\)/);

    const doomed = await server.issueKey({ bucket: 'peer-a', access: 'read' });
    const soonRevoked = storage('peer-a', doomed);
    expect(await soonRevoked.list('no-such-prefix')).toEqual([]);
    expect(await server.revokeKey(doomed.accessKeyId)).toBe(true);
    await expect(soonRevoked.list('no-such-prefix')).rejects.toThrow(/InvalidAccessKeyId/);
    await expect(soonRevoked.head('gradient-1-1-v1')).rejects.toThrow(/InvalidAccessKeyId \(HTTP 403\)/);
    expect(await server.revokeKey(doomed.accessKeyId)).toBe(false);
    for (const client of [unknown, wrongSecret, soonRevoked]) client.close();
  });

  it('a body other than the one signed is refused and leaves nothing: no new object, the old one unchanged', async () => {
    const a = storage('peer-a', writerA);
    await a.put('gradient-6-1-v1', Buffer.from('honest'));
    const signedFor = Buffer.from('honest!');
    for (const key of ['gradient-6-1-v1', 'gradient-6-2-v1']) {
      const answer = await signedRequest(server.endpoint, writerA, { method: 'PUT', path: `/peer-a/${key}`, body: Buffer.from('forged!'), signedHash: sha256(signedFor) });
      expect(answer.status).toBe(400);
      expect(errorCode(answer)).toBe('XAmzContentSHA256Mismatch');
    }
    expect(Buffer.from((await a.get('gradient-6-1-v1'))!).toString()).toBe('honest');
    expect(await a.head('gradient-6-2-v1')).toBeNull();
    expect(fs.readdirSync(path.join(temp.dir, 'staging'))).toEqual([]);
    // The same request with the hash of what it sends goes through.
    const honest = await signedRequest(server.endpoint, writerA, { method: 'PUT', path: '/peer-a/gradient-6-2-v1', body: Buffer.from('forged!') });
    expect(honest.status).toBe(200);
    a.close();
  });

  it('refuses a request whose clock is more than 15 minutes off', async () => {
    const skewed = await signedRequest(server.endpoint, readerA, { method: 'GET', path: '/peer-a', signingDate: new Date(Date.now() - 16 * 60_000) });
    expect(skewed.status).toBe(403);
    expect(errorCode(skewed)).toBe('RequestTimeTooSkewed');
    const slightlyOff = await signedRequest(server.endpoint, readerA, { method: 'GET', path: '/peer-a', signingDate: new Date(Date.now() - 5 * 60_000) });
    expect(slightlyOff.status).toBe(200);
  });

  it('refuses unsigned requests, and ListBuckets and CreateBucket even to a write key', async () => {
    const url = new URL(server.endpoint);
    const anonymous = await send(url, 'GET', '/peer-a/gradient-4-1-v1', { host: url.host });
    expect(anonymous.status).toBe(403);
    expect(errorCode(anonymous)).toBe('AccessDenied');
    const client = new S3Client({ endpoint: server.endpoint, region: 'auto', forcePathStyle: true, credentials: writerA, maxAttempts: 1 });
    await expect(client.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(client.send(new CreateBucketCommand({ Bucket: 'peer-c' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(client.send(new CreateBucketCommand({ Bucket: 'peer-a' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    client.destroy();
  });

  it('keeps object keys inside their bucket, also in a DeleteObjects body', async () => {
    const b = storage('peer-b', writerB);
    await b.put('gradient-7-2-v1', new Uint8Array([2]));
    const client = new S3Client({ endpoint: server.endpoint, region: 'auto', forcePathStyle: true, credentials: writerA, maxAttempts: 1 });
    await expect(client.send(new DeleteObjectsCommand({ Bucket: 'peer-a', Delete: { Objects: [{ Key: '../peer-b/gradient-7-2-v1' }] } }))).rejects.toMatchObject({ name: 'InvalidArgument' });
    const traversal = await signedRequest(server.endpoint, writerA, { method: 'PUT', path: '/peer-a/%2E%2E/peer-b/gradient-7-2-v1', body: Buffer.from('x') });
    expect(errorCode(traversal)).toBe('InvalidArgument');
    expect(await b.get('gradient-7-2-v1')).toEqual(new Uint8Array([2]));
    client.destroy();
    b.close();
  });

  it('asks for the body of an upload only once it may go ahead (Expect: 100-continue)', async () => {
    const url = new URL(server.endpoint);
    const firstAnswer = async (key: AccessKey): Promise<string> => {
      const signer = new SignatureV4({ credentials: key, region: 'auto', service: 's3', sha256: NodeSha256, uriEscapePath: false });
      const headers = { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(8 * 1024 * 1024) };
      const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/peer-a/gradient-10-1-v1', query: {}, headers });
      return new Promise((resolve) => {
        const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path: '/peer-a/gradient-10-1-v1', headers: { ...signed.headers, expect: '100-continue' } });
        req.on('continue', () => {
          resolve('continue');
          req.destroy();
        });
        req.on('response', (res) => {
          resolve(`${res.statusCode}`);
          res.resume();
          req.destroy();
        });
        req.on('error', () => {});
        req.flushHeaders();
      });
    };
    expect(await firstAnswer(readerA)).toBe('403');
    expect(await firstAnswer(writerA)).toBe('continue');
    // The upload cut short after the go-ahead left nothing behind.
    expect(await storage('peer-a', writerA).head('gradient-10-1-v1')).toBeNull();
  });

  it('takes presigned URLs until they expire, and only as signed', async () => {
    await storage('peer-a', writerA).put('gradient-8-1-v1', Buffer.from('shared'));
    const url = new URL(server.endpoint);
    const presign = async (expiresIn: number, signingDate = new Date()) => {
      // As @aws-sdk/s3-request-presigner does it: the payload is declared unsigned (the header goes into the query).
      const signer = new SignatureV4({ credentials: readerA, region: 'auto', service: 's3', sha256: NodeSha256, uriEscapePath: false });
      const headers = { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
      const presigned = await signer.presign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/peer-a/gradient-8-1-v1', query: {}, headers }, { expiresIn, signingDate });
      return `/peer-a/gradient-8-1-v1?${new URLSearchParams(presigned.query as Record<string, string>).toString()}`;
    };
    const fresh = await presign(60);
    expect(await send(url, 'GET', fresh, { host: url.host })).toEqual({ status: 200, body: 'shared' });
    expect(errorCode(await send(url, 'GET', fresh.replace('gradient-8-1', 'gradient-8-2'), { host: url.host }))).toBe('SignatureDoesNotMatch');
    const expired = await presign(60, new Date(Date.now() - 120_000));
    expect(errorCode(await send(url, 'GET', expired, { host: url.host }))).toBe('AccessDenied');
  });
});

describe('devnet S3 server: restarts', () => {
  it('buckets, keys and objects survive a restart on the same root; revoked keys stay revoked; the key file is private', async () => {
    const temp = makeTempDir('tandem-devnet-s3-');
    const first = await DevnetS3.start({ root: temp.dir });
    await first.createBucket('peer-a');
    const writer = await first.issueKey({ bucket: 'peer-a', access: 'write' });
    const revoked = await first.issueKey({ bucket: 'peer-a', access: 'read' });
    await first.revokeKey(revoked.accessKeyId);
    const before = new S3Storage({ endpoint: first.endpoint, bucket: 'peer-a', ...writer, maxAttempts: 1 });
    await before.put('gradient-9-1-v1', Buffer.from('kept'));
    const { lastModified } = (await before.head('gradient-9-1-v1'))!;
    before.close();
    await first.close();

    const second = await DevnetS3.start({ root: temp.dir });
    expect(second.buckets()).toEqual(['peer-a']);
    expect(second.keys('peer-a')).toEqual([{ ...writer, bucket: 'peer-a', access: 'write' }]);
    const after = new S3Storage({ endpoint: second.endpoint, bucket: 'peer-a', ...writer, maxAttempts: 1 });
    expect(Buffer.from((await after.get('gradient-9-1-v1'))!).toString()).toBe('kept');
    expect((await after.head('gradient-9-1-v1'))!.lastModified).toEqual(lastModified);
    const stale = new S3Storage({ endpoint: second.endpoint, bucket: 'peer-a', ...revoked, maxAttempts: 1 });
    await expect(stale.get('gradient-9-1-v1')).rejects.toThrow(/InvalidAccessKeyId/);
    after.close();
    stale.close();
    await second.close();
    if (process.platform !== 'win32') expect(fs.statSync(path.join(temp.dir, 'access-keys.json')).mode & 0o777).toBe(0o600);
    temp.cleanup();
  });

  it('a damaged key file stops the start with an error naming it, and is left as it was', async () => {
    const temp = makeTempDir('tandem-devnet-s3-');
    const file = path.join(temp.dir, 'access-keys.json');
    fs.writeFileSync(file, '{"version":1,"buckets":["peer-a"],"keys":[{"accessKeyId":"x"}]}');
    await expect(DevnetS3.start({ root: temp.dir })).rejects.toThrow(`the devnet S3 key file ${file} is not valid at keys.0.accessKeyId`);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version":1,"buckets":["peer-a"],"keys":[{"accessKeyId":"x"}]}');
    temp.cleanup();
  });

  it('issues keys only for buckets it has', async () => {
    const temp = makeTempDir('tandem-devnet-s3-');
    const server = await DevnetS3.start({ root: temp.dir });
    await expect(server.issueKey({ bucket: 'peer-z', access: 'read' })).rejects.toThrow('no bucket "peer-z" on this server: create it first');
    await expect(server.createBucket('Peer_A')).rejects.toThrow(/invalid bucket name/);
    await server.close();
    temp.cleanup();
  });
});
