import { describe, expect, it } from 'vitest';
import { coveredSeconds, gather, type GatherPeer } from '../../../main/services/round/gather';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { gradientKey } from '../../../main/ports/object-keys';
import type { StoragePort } from '../../../main/ports/storage-port';
import { makeTempDir } from '../../support/temp-dir';

const WINDOW = 12;
const VERSION = '1';

/** A payload "validates" here when it starts with the magic byte 0x7a. */
const validate = (payload: Uint8Array) => (payload[0] === 0x7a ? { ok: true as const } : { ok: false as const, reason: 'bad magic' });

async function peerWith(uid: number, payload: Uint8Array | null, dir: string): Promise<GatherPeer> {
  const storage = new FilesystemStorage(`${dir}/peer-${uid}`);
  if (payload) await storage.put(gradientKey(WINDOW, uid, VERSION), payload);
  return { uid, storage };
}

const base = { window: WINDOW, protocolVersion: VERSION, concurrency: 2, perPeerTimeoutMs: 300, capMs: 5000, pollIntervalMs: 20, maxPayloadBytes: 1000, validate };

describe('gather', () => {
  it('accepts good payloads, rejects corrupt ones with the reason, and fills failures from reserves', async () => {
    const temp = makeTempDir();
    try {
      const peers = [
        await peerWith(1, new Uint8Array([0x7a, 1]), temp.dir),
        await peerWith(2, new Uint8Array([0x00, 2]), temp.dir), // corrupt
        await peerWith(3, null, temp.dir), // never uploads
        await peerWith(4, new Uint8Array(2000).fill(0x7a), temp.dir), // too large
      ];
      const reserves = [await peerWith(9, new Uint8Array([0x7a, 9]), temp.dir), await peerWith(8, new Uint8Array([0x7a, 8]), temp.dir), await peerWith(7, null, temp.dir)];
      const result = await gather({ ...base, peers, reserves, concurrency: 1 });
      expect(result.payloads.map((p) => p.uid)).toEqual([1, 8, 9]);
      const byUid = new Map(result.peers.map((p) => [p.uid, p]));
      expect(byUid.get(2)).toMatchObject({ outcome: 'rejected', reason: 'bad magic', bytes: 2 });
      expect(byUid.get(3)).toMatchObject({ outcome: 'missing', reason: 'no update within 0.3 s' });
      expect(byUid.get(4)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('over the 1000-byte limit') });
      expect(byUid.get(7)).toMatchObject({ outcome: 'missing', reserve: true });
      expect(byUid.get(9)).toMatchObject({ outcome: 'accepted', reserve: true });
      expect(result.bytesDown).toBe(2 + 2 + 2 + 2);
    } finally {
      temp.cleanup();
    }
  });

  it('counts an accepted update whose bytes the caller keeps elsewhere without holding them', async () => {
    const temp = makeTempDir();
    try {
      const peers = [await peerWith(1, new Uint8Array([0x7a, 1]), temp.dir), await peerWith(2, new Uint8Array([0x7a, 2]), temp.dir), await peerWith(3, new Uint8Array([0x00, 3]), temp.dir)];
      // Peer 1's check put its bytes in a file (the trainer staged it): the result need not hold them.
      const result = await gather({ ...base, peers, keep: (uid) => uid !== 1 });
      expect(result.accepted).toEqual([1, 2]);
      expect(result.payloads.map((p) => [p.uid, [...p.payload]])).toEqual([[2, [0x7a, 2]]]);
      expect(result.peers.map((p) => p.outcome)).toEqual(['accepted', 'accepted', 'rejected']);
    } finally {
      temp.cleanup();
    }
  });

  it('waits for a late upload within the per-peer timeout', async () => {
    const temp = makeTempDir();
    try {
      const late = await peerWith(5, null, temp.dir);
      setTimeout(() => void late.storage.put(gradientKey(WINDOW, 5, VERSION), new Uint8Array([0x7a])), 100);
      const result = await gather({ ...base, peers: [late], perPeerTimeoutMs: 2000 });
      expect(result.payloads.map((p) => p.uid)).toEqual([5]);
      expect(result.peers[0]!.seconds).toBeGreaterThan(0.05);
    } finally {
      temp.cleanup();
    }
  });

  it('stops looking for an update once the upload deadline has passed', async () => {
    const temp = makeTempDir();
    try {
      const absent = await peerWith(6, null, temp.dir);
      let gets = 0;
      const inner = absent.storage;
      const counting: StoragePort = {
        name: 'counting',
        get: (k, o) => (gets++, inner.get(k, o)),
        put: (k, d, o) => inner.put(k, d, o),
        head: (k, o) => inner.head(k, o),
        list: (p, o) => inner.list(p, o),
        delete: (k, o) => inner.delete(k, o),
      };
      const present = await peerWith(7, new Uint8Array([0x7a, 7]), temp.dir);
      // A past window (a catch-up): one look each, and what was stored by the deadline (now, after peer 7's upload) is used.
      const result = await gather({ ...base, peers: [{ uid: 6, storage: counting }, present], perPeerTimeoutMs: 60_000, appearBy: Date.now() });
      expect(gets).toBe(1);
      expect(result.payloads.map((p) => p.uid)).toEqual([7]);
      expect(result.peers.find((p) => p.uid === 6)).toMatchObject({ outcome: 'missing', reason: 'not uploaded by the deadline' });
    } finally {
      temp.cleanup();
    }
  });

  it('reads the date of an update from its download where the store sends it there, and asks with a HEAD only where it does not', async () => {
    const temp = makeTempDir();
    try {
      const counted = (peer: GatherPeer, sendsDate: boolean) => {
        const calls = { get: 0, head: 0 };
        const inner = peer.storage;
        const storage: StoragePort = {
          name: 'counting',
          get: (k, o) => (calls.get++, inner.get(k, sendsDate ? o : { ...o, onStored: undefined })),
          put: (k, d, o) => inner.put(k, d, o),
          head: (k, o) => (calls.head++, inner.head(k, o)),
          list: (p, o) => inner.list(p, o),
          delete: (k, o) => inner.delete(k, o),
        };
        return { peer: { uid: peer.uid, storage }, calls };
      };
      const withDate = counted(await peerWith(1, new Uint8Array([0x7a, 1]), temp.dir), true);
      const withoutDate = counted(await peerWith(2, new Uint8Array([0x7a, 2]), temp.dir), false);
      const onTime = await gather({ ...base, peers: [withDate.peer, withoutDate.peer], appearBy: Date.now() + 60_000, settleMs: 0 });
      expect(onTime.payloads.map((p) => p.uid)).toEqual([1, 2]);
      expect(withDate.calls).toEqual({ get: 1, head: 0 });
      expect(withoutDate.calls).toEqual({ get: 1, head: 1 });
      // Either way the date is handed on (the validator orders and times uploads by it without asking again).
      for (const p of onTime.peers) expect(p.storedAt).toBeGreaterThan(Date.now() - 60_000);
      // The date from the download decides as the HEAD's did: an update stored after the deadline does not count.
      const late = await gather({ ...base, peers: [withDate.peer], appearBy: Date.now() - 60_000 });
      expect(late.payloads).toEqual([]);
      expect(late.peers[0]).toMatchObject({ uid: 1, outcome: 'late' });
      expect(withDate.calls.head).toBe(0);
    } finally {
      temp.cleanup();
    }
  });

  it('keeps going when a peer storage throws, and stops everything at the cap', async () => {
    const broken: StoragePort = {
      name: 'broken',
      put: async () => {},
      get: async () => {
        throw new Error('connection reset');
      },
      head: async () => null,
      list: async () => [],
      delete: async () => {},
    };
    const temp = makeTempDir();
    try {
      const good = await peerWith(1, new Uint8Array([0x7a]), temp.dir);
      const silent = await peerWith(2, null, temp.dir);
      const result = await gather({ ...base, peers: [{ uid: 6, storage: broken }, good, silent], perPeerTimeoutMs: 10_000, capMs: 300 });
      const byUid = new Map(result.peers.map((p) => [p.uid, p]));
      expect(byUid.get(1)?.outcome).toBe('accepted');
      expect(byUid.get(6)).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('connection reset') });
      expect(byUid.get(2)).toMatchObject({ outcome: 'missing', reason: 'gather cap reached' });
      expect(result.seconds).toBeLessThan(5);
    } finally {
      temp.cleanup();
    }
  });

  it('times the transfer apart from the wait: polls for an update not yet there do not count', async () => {
    // A clock moved only by the storage: each poll that finds nothing "waits" 1 s; a download takes 250 ms.
    let clock = 0;
    const slowPeer = (uid: number, appearsAfterPolls: number, startsAt: number): GatherPeer => {
      let polls = 0;
      return {
        uid,
        storage: {
          name: `peer-${uid}`,
          put: async () => {},
          get: async () => {
            if (polls++ < appearsAfterPolls) {
              clock += 1000;
              return null;
            }
            clock = Math.max(clock, startsAt) + 250;
            return new Uint8Array([0x7a, uid]);
          },
          head: async () => null,
          list: async () => [],
          delete: async () => {},
        },
      };
    };
    const result = await gather({ ...base, peers: [slowPeer(1, 3, 3000), slowPeer(2, 0, 3150)], concurrency: 1, perPeerTimeoutMs: 60_000, pollIntervalMs: 1, now: () => clock });
    expect(result.payloads.map((p) => p.uid)).toEqual([1, 2]);
    // Peer 1 polls three times (3 s), then downloads over [3000, 3250]; peer 2 then downloads over [3250, 3500].
    expect(result.transferSeconds).toBeCloseTo(0.5, 6);
    expect(result.seconds).toBeCloseTo(3.5, 6);
  });

  it('counts downloads that overlap once', () => {
    expect(coveredSeconds([])).toBe(0);
    expect(coveredSeconds([[3150, 3400], [3000, 3250]])).toBeCloseTo(0.4, 9);
    expect(coveredSeconds([[0, 1000], [200, 300], [1500, 2000]])).toBeCloseTo(1.5, 9);
  });
});
