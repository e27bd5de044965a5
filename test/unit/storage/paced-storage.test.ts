import { describe, expect, it } from 'vitest';
import { PacedStorage, withLinkCaps } from '../../../main/adapters/storage/paced-storage';
import type { StoragePort } from '../../../main/ports/storage-port';

/** An in-memory store and a clock that only moves when someone sleeps. */
function fixture() {
  const objects = new Map<string, Uint8Array>();
  let now = 0;
  const sleeps: number[] = [];
  const inner: StoragePort = {
    name: 'memory',
    put: async (key, data) => void objects.set(key, data),
    get: async (key) => objects.get(key) ?? null,
    head: async () => null,
    list: async () => [],
    delete: async (keys) => keys.forEach((k) => objects.delete(k)),
  };
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { inner, clock, sleeps, advance: (ms: number) => (now += ms) };
}

describe('PacedStorage (the upload and download caps in Settings)', () => {
  it('holds the link for bytes·8 / rate after each transfer, and transfers queue for it', async () => {
    const f = fixture();
    const paced = new PacedStorage(f.inner, { uploadMbps: 8, downloadMbps: 80 }, f.clock);
    // 1 MB at 8 Mb/s is one second; two uploads back to back take two.
    await paced.put('a', new Uint8Array(1_000_000));
    await paced.put('b', new Uint8Array(1_000_000));
    expect(f.sleeps).toEqual([1000, 1000]);
    // Downloads have their own cap: 1 MB at 80 Mb/s is 100 ms.
    expect((await paced.get('a'))?.byteLength).toBe(1_000_000);
    expect(f.sleeps.at(-1)).toBe(100);
    // A missing object costs nothing.
    expect(await paced.get('missing')).toBeNull();
    expect(f.sleeps).toHaveLength(3);
  });

  it('does not wait when the transfer itself already took as long as the cap allows, or after an idle spell', async () => {
    const f = fixture();
    const paced = new PacedStorage(f.inner, { uploadMbps: 8, downloadMbps: null }, f.clock);
    await paced.put('a', new Uint8Array(1_000_000));
    f.advance(5000); // idle: the link is free again
    const slowInner = { ...f.inner, put: async (k: string, d: Uint8Array) => { f.advance(2000); await f.inner.put(k, d); } };
    const slow = new PacedStorage(slowInner, { uploadMbps: 8, downloadMbps: null }, f.clock);
    await slow.put('b', new Uint8Array(1_000_000));
    expect(f.sleeps).toEqual([1000]);
    await paced.get('a');
    expect(f.sleeps).toEqual([1000]);
  });

  it('is the plain storage when no cap is set', () => {
    const f = fixture();
    expect(withLinkCaps(f.inner, { uploadMbps: null, downloadMbps: null })).toBe(f.inner);
    expect(withLinkCaps(f.inner, undefined)).toBe(f.inner);
    expect(withLinkCaps(f.inner, { uploadMbps: 10, downloadMbps: null })).toBeInstanceOf(PacedStorage);
  });
});
