import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ShardCache, ShardCacheCapError, ShardUnavailableError, type ShardSetProgress } from '../../../main/services/data/shard-cache';
import { SHARD_INDEX_FILE } from '../../../main/services/data/shard-index';
import { makeTempDir } from '../../support/temp-dir';
import { shardSpec, startShardServer, type ShardServer } from '../../support/shard-http-server';

const SIZE = 100_000;

describe('ShardCache', () => {
  const bytes = { a: randomBytes(SIZE), b: randomBytes(SIZE), c: randomBytes(SIZE), d: randomBytes(SIZE), e: randomBytes(SIZE) };
  let server: ShardServer;
  let temp: { dir: string; cleanup: () => void };
  let tick = 0;
  /** A clock that moves on at every reading, so "least recently used" never ties. */
  const now = () => 1_700_000_000_000 + (tick += 1);
  const spec = (name: keyof typeof bytes, route = 'ok') => shardSpec(bytes[name], `${server.base}/${route}/${name}.bin`);
  const cache = (capBytes: number | null) => new ShardCache({ dir: temp.dir, capBytes, now });
  const fetchesOf = (name: string) => server.requests.filter((r) => r.path.endsWith(`/${name}.bin`)).length;

  beforeAll(async () => {
    server = await startShardServer(new Map(Object.entries(bytes).map(([name, data]) => [`${name}.bin`, data])));
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    temp = makeTempDir('tandem-shard-cache-');
  });
  afterEach(() => temp.cleanup());

  it('downloads missing shards into content-named files and returns their paths in the order given', async () => {
    const shards = cache(null);
    const paths = await shards.ensure([spec('b'), spec('a'), spec('b')]);
    expect(paths).toEqual([path.join(temp.dir, `${spec('b').sha256}.bin`), path.join(temp.dir, `${spec('a').sha256}.bin`), path.join(temp.dir, `${spec('b').sha256}.bin`)]);
    expect(fs.readFileSync(paths[0]!).equals(bytes.b)).toBe(true);
    expect(fs.readFileSync(paths[1]!).equals(bytes.a)).toBe(true);
    expect(fetchesOf('b')).toBe(1);
    expect(shards.usage()).toEqual({ bytes: 2 * SIZE, files: 2 });
  });

  it('names .npy shards .npy', async () => {
    const npy = shardSpec(bytes.a, `${server.base}/ok/a.bin?format=.npy`);
    expect(path.basename(cache(null).pathFor({ ...npy, url: 'https://x.example/s/t.NPY?sig=1' }))).toBe(`${npy.sha256}.npy`);
    expect(path.basename(cache(null).pathFor(npy))).toBe(`${npy.sha256}.bin`);
  });

  it('trusts a file the index recorded as verified, and hashes one it did not', async () => {
    await cache(null).ensure([spec('a')]);
    const fetched = fetchesOf('a');
    await cache(null).ensure([spec('a')]);
    expect(fetchesOf('a')).toBe(fetched);
    // Without the index the file is hashed, found good and kept.
    fs.rmSync(path.join(temp.dir, SHARD_INDEX_FILE));
    await cache(null).ensure([spec('a')]);
    expect(fetchesOf('a')).toBe(fetched);
    const index = JSON.parse(fs.readFileSync(path.join(temp.dir, SHARD_INDEX_FILE), 'utf8')) as { shards: Record<string, { sha256: string }> };
    expect(index.shards[`${spec('a').sha256}.bin`]?.sha256).toBe(spec('a').sha256);
  });

  it('downloads again a file corrupted on disk', async () => {
    const [file] = await cache(null).ensure([spec('a')]);
    const fetched = fetchesOf('a');
    const damaged = Buffer.from(bytes.a);
    damaged[10] = damaged[10]! ^ 1;
    fs.writeFileSync(file!, damaged);
    // Written by something else, the file has another mtime than the index recorded.
    fs.utimesSync(file!, new Date(2001, 1, 1), new Date(2001, 1, 1));
    await cache(null).ensure([spec('a')]);
    expect(fetchesOf('a')).toBe(fetched + 1);
    expect(fs.readFileSync(file!).equals(bytes.a)).toBe(true);
  });

  it('downloads once more a shard whose first download does not verify', async () => {
    const [file] = await cache(null).ensure([spec('c', 'flaky')]);
    expect(server.countOf('/flaky/c.bin')).toBe(2);
    expect(fs.readFileSync(file!).equals(bytes.c)).toBe(true);
  });

  it('blocks training with ShardUnavailableError when a shard never verifies', async () => {
    const bad = spec('d', 'corrupt');
    const error = await cache(null).ensure([spec('a'), bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardUnavailableError);
    expect((error as Error).message).toContain(`training is blocked because shard ${bad.url} never verified`);
    expect(server.countOf('/corrupt/d.bin')).toBe(2);
    expect(fs.readdirSync(temp.dir).filter((f) => f.startsWith(bad.sha256))).toEqual([]);
  });

  it('evicts the least recently used shards to stay under the cap, never one being ensured', async () => {
    const shards = cache(Math.floor(2.5 * SIZE));
    await shards.ensure([spec('a')]);
    await shards.ensure([spec('b')]);
    await shards.ensure([spec('a')]); // a is now used more recently than b
    await shards.ensure([spec('c')]);
    const held = () => fs.readdirSync(temp.dir).filter((f) => f.endsWith('.bin'));
    expect(held().sort()).toEqual([`${spec('a').sha256}.bin`, `${spec('c').sha256}.bin`].sort());
    expect(shards.usage().bytes).toBeLessThanOrEqual(2.5 * SIZE);

    // a is the least recently used now, but this call needs it: c goes instead.
    await shards.ensure([spec('a'), spec('e')]);
    expect(held().sort()).toEqual([`${spec('a').sha256}.bin`, `${spec('e').sha256}.bin`].sort());
    expect(shards.usage()).toEqual({ bytes: 2 * SIZE, files: 2 });
  });

  it('says how much the cap allows and how much the shards need when they cannot fit', async () => {
    const error = await cache(2 * SIZE).ensure([spec('a'), spec('b'), spec('c')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardCacheCapError);
    expect((error as Error).message).toContain(`${2 * SIZE} bytes`);
    expect((error as Error).message).toContain(`${3 * SIZE} bytes`);
    expect(cache(null).usage()).toEqual({ bytes: 0, files: 0 });
  });

  it('reports progress over the whole set', async () => {
    const shards = cache(null);
    await shards.ensure([spec('a')]);
    const reports: ShardSetProgress[] = [];
    await shards.ensure([spec('a'), spec('b'), spec('c')], { onProgress: (p) => reports.push(p) });
    expect(reports[0]).toMatchObject({ bytesDone: SIZE, bytesTotal: 3 * SIZE, shardsDone: 1, shardsTotal: 3 });
    expect(reports.some((p) => p.currentUrl === spec('b').url)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ bytesDone: 3 * SIZE, bytesTotal: 3 * SIZE, shardsDone: 3, shardsTotal: 3, currentUrl: null, etaSeconds: 0 });
    for (let i = 1; i < reports.length; i += 1) expect(reports[i]!.bytesDone).toBeGreaterThanOrEqual(reports[i - 1]!.bytesDone);
  });

  it('starts with an empty index when the index file is not one, losing no shard', async () => {
    await cache(null).ensure([spec('a')]);
    const fetched = fetchesOf('a');
    fs.writeFileSync(path.join(temp.dir, SHARD_INDEX_FILE), '{ not json');
    await cache(null).ensure([spec('a')]);
    expect(fetchesOf('a')).toBe(fetched);
  });
});
