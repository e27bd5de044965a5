import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { downloadShard, ShardDownloadError, type ShardDownloadProgress } from '../../../main/services/data/shard-download';
import { makeTempDir } from '../../support/temp-dir';
import { shardSpec, startShardServer, type ShardServer } from '../../support/shard-http-server';

const SIZE = 300_000;

describe('downloadShard over http', () => {
  const data = randomBytes(SIZE);
  let server: ShardServer;
  let temp: { dir: string; cleanup: () => void };
  const at = (route: string) => shardSpec(data, `${server.base}/${route}/a.bin`);
  const dest = () => path.join(temp.dir, 'out', 'a.bin');

  beforeAll(async () => {
    server = await startShardServer(new Map([['a.bin', data]]));
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    temp = makeTempDir('tandem-shard-dl-');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    temp.cleanup();
  });

  it('downloads, verifies and renames into place, reporting progress up to the whole shard', async () => {
    const reports: ShardDownloadProgress[] = [];
    await downloadShard(at('ok'), dest(), { onProgress: (p) => reports.push(p) });
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(fs.existsSync(`${dest()}.part`)).toBe(false);
    const last = reports.at(-1)!;
    expect(last).toMatchObject({ url: at('ok').url, bytesDone: SIZE, bytesTotal: SIZE, etaSeconds: 0 });
    for (let i = 1; i < reports.length; i += 1) expect(reports[i]!.bytesDone).toBeGreaterThanOrEqual(reports[i - 1]!.bytesDone);
  });

  it('leaves the .part on abort and resumes it with a Range request', async () => {
    const spec = at('stall');
    const controller = new AbortController();
    const first = downloadShard(spec, dest(), { signal: controller.signal });
    // The server sends half, then stalls: abort once that half is on disk.
    await vi.waitFor(() => expect(fs.statSync(`${dest()}.part`, { throwIfNoEntry: false })?.size).toBe(SIZE / 2), { timeout: 10_000, interval: 20 });
    controller.abort();
    await expect(first).rejects.toThrow(/abort/i);
    expect(fs.statSync(`${dest()}.part`).size).toBe(SIZE / 2);
    expect(fs.existsSync(dest())).toBe(false);

    await downloadShard(spec, dest());
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(server.requests.filter((r) => r.path === '/stall/a.bin').at(-1)?.range).toBe(`bytes=${SIZE / 2}-`);
  });

  it('starts over cleanly when the server ignores the Range and answers 200', async () => {
    fs.mkdirSync(path.dirname(dest()), { recursive: true });
    fs.writeFileSync(`${dest()}.part`, data.subarray(0, 1000));
    await downloadShard(at('no-range'), dest());
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(server.requests.filter((r) => r.path === '/no-range/a.bin').at(-1)?.range).toBe('bytes=1000-');
  });

  it('re-hashes the resumed bytes: a .part that is not a prefix of the shard fails the sha256 check', async () => {
    fs.mkdirSync(path.dirname(dest()), { recursive: true });
    fs.writeFileSync(`${dest()}.part`, randomBytes(1000));
    await expect(downloadShard(at('ok'), dest())).rejects.toThrow(/sha256 mismatch/);
    expect(fs.existsSync(`${dest()}.part`)).toBe(false);
  });

  it('finishes a .part that is already whole without asking the server', async () => {
    fs.mkdirSync(path.dirname(dest()), { recursive: true });
    fs.writeFileSync(`${dest()}.part`, data);
    const before = server.requests.length;
    await downloadShard(at('ok'), dest());
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(server.requests.length).toBe(before);
  });

  it('follows a few redirects, keeping the Range header', async () => {
    fs.mkdirSync(path.dirname(dest()), { recursive: true });
    fs.writeFileSync(`${dest()}.part`, data.subarray(0, 5000));
    await downloadShard(at('hop/3'), dest());
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(server.requests.filter((r) => r.path === '/ok/a.bin').at(-1)?.range).toBe('bytes=5000-');
  });

  it('fails a redirect loop after maxRedirects', async () => {
    const spec = shardSpec(data, `${server.base}/loop/0`);
    await expect(downloadShard(spec, dest(), { maxRedirects: 4 })).rejects.toThrow('redirects more than 4 times');
    expect(server.countOf('/loop/4')).toBe(1);
    expect(server.countOf('/loop/5')).toBe(0);
    await expect(downloadShard(spec, dest())).rejects.toThrow('redirects more than 5 times');
  });

  it('names the URL and the status of a 404', async () => {
    const spec = at('missing');
    const error = await downloadShard(spec, dest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardDownloadError);
    expect((error as ShardDownloadError).reason).toBe('not-found');
    expect((error as Error).message).toContain(spec.url);
    expect((error as Error).message).toContain('404');
  });

  it.each([
    ['long', `got ${SIZE + 17}`],
    ['long-chunked', 'got at least'],
    ['short-chunked', `got ${SIZE - 100}`],
  ])('refuses a shard of the wrong size (%s), naming expected and got', async (route, got) => {
    const error = await downloadShard(at(route), dest()).catch((e: unknown) => e);
    expect((error as ShardDownloadError).reason).toBe('size');
    expect((error as Error).message).toContain(`expected ${SIZE} bytes`);
    expect((error as Error).message).toContain(got);
    expect(fs.existsSync(`${dest()}.part`)).toBe(false);
    expect(fs.existsSync(dest())).toBe(false);
  });

  it('deletes the .part and says "sha256 mismatch" with the URL when the bytes are wrong', async () => {
    const spec = at('corrupt');
    const error = await downloadShard(spec, dest()).catch((e: unknown) => e);
    expect((error as ShardDownloadError).reason).toBe('sha256');
    expect((error as Error).message).toContain('sha256 mismatch');
    expect((error as Error).message).toContain(spec.url);
    expect(fs.existsSync(`${dest()}.part`)).toBe(false);
    expect(fs.existsSync(dest())).toBe(false);
  });

  it('says the disk is full, naming the folder, and keeps the .part to resume', async () => {
    const probe = await fsp.open(path.join(temp.dir, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realWrite = fileHandle.write;
    let writes = 0;
    vi.spyOn(fileHandle, 'write').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      writes += 1;
      if (writes >= 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      return realWrite.apply(this, args);
    });
    const error = await downloadShard(at('ok'), dest()).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect((error as ShardDownloadError).reason).toBe('disk-full');
    expect((error as Error).message).toContain('disk is full');
    expect((error as Error).message).toContain(path.join(temp.dir, 'out'));
    const kept = fs.statSync(`${dest()}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SIZE);

    await downloadShard(at('ok'), dest());
    expect(fs.readFileSync(dest()).equals(data)).toBe(true);
    expect(server.requests.filter((r) => r.path === '/ok/a.bin').at(-1)?.range).toBe(`bytes=${kept}-`);
  });

  it('asks for an S3 client for s3:// URLs', async () => {
    const spec = shardSpec(data, 's3://some-bucket/shards/a.bin');
    await expect(downloadShard(spec, dest())).rejects.toThrow(/no S3 client.*some-bucket/);
  });
});
