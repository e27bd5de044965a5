import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadShard, type ShardDownloadError } from '../../../main/services/data/shard-download';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { makeTempDir } from '../../support/temp-dir';
import { shardSpec } from '../../support/shard-http-server';

describe('downloadShard from an S3 bucket', () => {
  const data = randomBytes(200_000);
  const key = 'shards/train 000.bin';
  let s3: LocalS3;
  let temp: { dir: string; cleanup: () => void };
  const clients: S3Client[] = [];
  /** The SDK client a peer would build for the bucket, with the read key; `ranges` hears every GetObject's Range. */
  const openS3 = (ranges: (string | undefined)[] = []) => (bucket: string) => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: s3.readCredentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    expect(bucket).toBe(s3.bucket);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === GetObjectCommand.name) ranges.push((args.input as { Range?: string }).Range);
        return next(args);
      },
      { step: 'initialize' },
    );
    clients.push(client);
    return client;
  };
  const url = () => `s3://${s3.bucket}/${encodeURIComponent(key).replaceAll('%2F', '/')}`;
  const dest = () => path.join(temp.dir, 'a.bin');

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: 'shard-bucket' });
    const writer = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await writer.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: data, ContentLength: data.length }));
    writer.destroy();
  }, 30_000);
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await s3?.stop();
  });
  beforeEach(() => {
    temp = makeTempDir('tandem-shard-s3-');
  });
  afterEach(() => temp.cleanup());

  it('downloads and verifies an object', async () => {
    await downloadShard(shardSpec(data, url()), dest(), { openS3: openS3() });
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
  });

  it('resumes a .part with a ranged GetObject', async () => {
    fs.writeFileSync(`${dest()}.part`, data.subarray(0, 70_000));
    const ranges: (string | undefined)[] = [];
    await downloadShard(shardSpec(data, url()), dest(), { openS3: openS3(ranges) });
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(ranges).toEqual(['bytes=70000-']);
  });

  it('names the URL of an object that is not there', async () => {
    const spec = shardSpec(data, `s3://${s3.bucket}/shards/nothing.bin`);
    const error = await downloadShard(spec, dest(), { openS3: openS3() }).catch((e: unknown) => e);
    expect((error as ShardDownloadError).reason).toBe('not-found');
    expect((error as Error).message).toContain(spec.url);
  });

  it('checks the hash of what the bucket holds', async () => {
    const wrong = shardSpec(randomBytes(data.length), url());
    await expect(downloadShard(wrong, dest(), { openS3: openS3() })).rejects.toThrow(/sha256 mismatch/);
    expect(fs.existsSync(`${dest()}.part`)).toBe(false);
  });
});
