import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { PublishedCheckpoints } from '../../../main/services/run/published-checkpoints';
import { aggregateRecordKey, appliedWindowOf, checkpointKey, newestCheckpoint, publishAggregateRecord, publishCheckpoint, readAggregateRecord } from '../../../main/services/run/run-checkpoints';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { makeTempDir } from '../../support/temp-dir';

const PROTOCOL = '1';

/** A file shaped like the trainer's checkpoint: a safetensors header with the applied window, then some weights. */
function trainerCheckpoint(file: string, appliedWindow: number, fill: number): void {
  const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'tandem-trainer-checkpoint', applied_window: String(appliedWindow) }, w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(file, Buffer.concat([size, header, Buffer.from(new Float32Array(4).fill(fill).buffer)]));
}

describe('the run\u2019s published checkpoints', () => {
  const temp = makeTempDir('tandem-checkpoints-');
  afterAll(() => temp.cleanup());
  const manifest = { ...devnetManifest(), protocolVersion: PROTOCOL };

  it('publishes the window the file holds, keeps the newest few, and names the newest', async () => {
    const storage = new FilesystemStorage(path.join(temp.dir, 'bucket-a'));
    const file = path.join(temp.dir, 'trainer-a.safetensors');
    trainerCheckpoint(file, -1, 0);
    // Before the first aggregate there is nothing to publish.
    expect(await publishCheckpoint(storage, file, { protocolVersion: PROTOCOL, keep: 2 })).toBeNull();
    for (const w of [3, 5, 7]) {
      trainerCheckpoint(file, w, w);
      const record = await publishCheckpoint(storage, file, { protocolVersion: PROTOCOL, keep: 2, digest: { window: w, modelDigest: `d${w}` } });
      expect(record).toMatchObject({ window: w, bytes: fs.statSync(file).size, modelDigest: `d${w}` });
      expect(await appliedWindowOf(file)).toBe(w);
    }
    // A digest taken for another window than the file holds is not named.
    trainerCheckpoint(file, 9, 9);
    expect((await publishCheckpoint(storage, file, { protocolVersion: PROTOCOL, keep: 2, digest: { window: 8, modelDigest: 'd8' } }))?.modelDigest).toBeNull();
    const keys = (await storage.list('checkpoint-')).map((o) => o.key).sort();
    expect(keys).toEqual([checkpointKey(7, PROTOCOL).replace('.safetensors', '.json'), checkpointKey(7, PROTOCOL), checkpointKey(9, PROTOCOL).replace('.safetensors', '.json'), checkpointKey(9, PROTOCOL)].sort());
    expect((await newestCheckpoint(storage, PROTOCOL))?.window).toBe(9);
    // Another protocol's checkpoints are not this run's.
    expect(await newestCheckpoint(storage, '2')).toBeNull();
  });

  it('a joiner loads the newest one only when it is newer than what it holds, and never one whose bytes do not match the record', async () => {
    const storage = new FilesystemStorage(path.join(temp.dir, 'bucket-b'));
    const file = path.join(temp.dir, 'trainer-b.safetensors');
    trainerCheckpoint(file, 4, 4);
    await publishCheckpoint(storage, file, { protocolVersion: PROTOCOL, keep: 3, digest: { window: 4, modelDigest: 'abc' } });
    const loaded: Buffer[] = [];
    const notes: string[] = [];
    const source = new PublishedCheckpoints({
      manifest,
      publisherStorage: () => storage,
      restore: async (f) => {
        loaded.push(fs.readFileSync(f));
        return appliedWindowOf(f);
      },
      folder: path.join(temp.dir, 'joiner'),
      logger: pino({ level: 'silent' }),
    });
    expect(await source.restoreNewer(4)).toBeNull();
    expect(await source.restoreNewer(null, (n) => notes.push(n))).toEqual({ window: 4, modelDigest: 'abc' });
    expect(loaded[0]?.equals(fs.readFileSync(file))).toBe(true);
    expect(notes[0]).toMatch(/Downloading the run's checkpoint of window 4/);
    // Nothing is left in the download folder.
    expect(fs.readdirSync(path.join(temp.dir, 'joiner'))).toEqual([]);

    // One byte changed in the bucket: refused, and nothing reaches the trainer.
    const key = checkpointKey(4, PROTOCOL);
    const bytes = (await storage.get(key))!;
    bytes[bytes.length - 1]! ^= 0xff;
    await storage.put(key, bytes);
    await expect(source.restoreNewer(null)).rejects.toThrow(/does not match its record \(sha256/);
    expect(loaded).toHaveLength(1);
    expect(fs.readdirSync(path.join(temp.dir, 'joiner'))).toEqual([]);

    // Whose updates a window aggregated, as published every window; a window gone past retention is deleted.
    await publishAggregateRecord(storage, { version: 1, window: 5, uids: [3, 1], modelDigest: 'ab' }, { protocolVersion: PROTOCOL, retentionWindows: 3 });
    await publishAggregateRecord(storage, { version: 1, window: 8, uids: [2], modelDigest: null }, { protocolVersion: PROTOCOL, retentionWindows: 3 });
    expect(await source.aggregatedIn(8)).toEqual([2]);
    expect(await source.aggregatedIn(5)).toBeNull();
    expect(await source.aggregatedIn(6)).toBeNull();
    await storage.put(aggregateRecordKey(9, PROTOCOL), new TextEncoder().encode('{"version":1,"window":10,"uids":[],"modelDigest":null}'));
    expect(await readAggregateRecord(storage, 9, PROTOCOL)).toBeNull();

    // No publisher bucket yet: nothing to load, no error.
    const none = new PublishedCheckpoints({ manifest, publisherStorage: () => undefined, restore: () => Promise.resolve(0), folder: temp.dir, logger: pino({ level: 'silent' }) });
    expect(await none.restoreNewer(null)).toBeNull();
    expect(await none.aggregatedIn(8)).toBeNull();
  });
});
