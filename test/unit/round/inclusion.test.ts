import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gather } from '../../../main/services/round/gather';
import { inclusionVerdict, lookUntil, uploadDeadline, windowEndsAt, WindowTimes } from '../../../main/services/round/inclusion';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { gradientKey } from '../../../main/ports/object-keys';
import { makeTempDir } from '../../support/temp-dir';
import { vectorEngineManifest } from '../../support/vector-trainer';

const DEADLINE = Date.UTC(2026, 10, 29, 12, 0, 0);
const at = (ms: number) => ({ lastModified: new Date(ms) });

describe('inclusion rule', () => {
  it('counts an update stored before or exactly at the deadline, and no other', () => {
    expect(inclusionVerdict(at(DEADLINE - 40_000), DEADLINE)).toEqual({ counts: true });
    expect(inclusionVerdict(at(DEADLINE), DEADLINE)).toEqual({ counts: true });
    expect(inclusionVerdict(at(DEADLINE + 1), DEADLINE)).toEqual({ counts: false, outcome: 'late', reason: 'uploaded 0.001 s after the deadline' });
    expect(inclusionVerdict(at(DEADLINE + 2500), DEADLINE)).toEqual({ counts: false, outcome: 'late', reason: 'uploaded 2.500 s after the deadline' });
    expect(inclusionVerdict(null, DEADLINE)).toEqual({ counts: false, outcome: 'missing', reason: 'not uploaded by the deadline' });
    expect(inclusionVerdict(at(Number.NaN), DEADLINE)).toMatchObject({ counts: false, outcome: 'late' });
    expect(lookUntil(DEADLINE, 1000)).toBe(DEADLINE + 1000);
  });

  it('computes the deadline from the chain: window end + upload deadline + grace, the same from any block of the run', () => {
    const timing = { blocksPerWindow: 10, blockSeconds: 12, uploadDeadlineSeconds: 70, uploadGraceSeconds: 3 };
    const genesis = 1_700_000_000_000;
    const block = (n: number) => ({ number: n, timestamp: genesis + n * 12_000 });
    // Window 5 runs from block 50 to block 60.
    expect(windowEndsAt(5, timing, block(50))).toBe(genesis + 60 * 12_000);
    expect(uploadDeadline(5, timing, block(50))).toBe(genesis + 60 * 12_000 + 73_000);
    for (const anchor of [block(0), block(57), block(61), block(99)]) expect(uploadDeadline(5, timing, anchor)).toBe(uploadDeadline(5, timing, block(50)));
  });

  it('two nodes that saw different blocks agree on a window whose start both saw, not on their local clocks', () => {
    const manifest = vectorEngineManifest('/unused', 'inclusion-test', { blocksPerWindow: 10, blockSeconds: 12, uploadDeadlineSeconds: 70, uploadGraceSeconds: 3 });
    // Blocks run 0.7 s late from block 50 on: the deadline follows the chain's own timestamps.
    const ts = (n: number) => 1_700_000_000_000 + n * 12_000 + (n >= 50 ? 700 : 0);
    const early = new WindowTimes(manifest.windows);
    const late = new WindowTimes(manifest.windows);
    for (let n = 38; n <= 57; n++) early.observe({ number: n, timestamp: ts(n) });
    for (let n = 50; n <= 63; n++) late.observe({ number: n, timestamp: ts(n) });
    expect(early.uploadDeadline(5, 0)).toBe(ts(50) + 120_000 + 73_000);
    expect(late.uploadDeadline(5, 0)).toBe(early.uploadDeadline(5, 0));
    // A window never seen is extrapolated from the nearest one seen; before any block, the fallback.
    expect(late.uploadDeadline(4, 0)).toBe(ts(50) + 73_000);
    expect(new WindowTimes(manifest.windows).uploadDeadline(4, 42)).toBe(42);
  });

  it('gather: an update stored after the deadline is late even when it is there; one stored by it is used', async () => {
    const temp = makeTempDir();
    try {
      const key = (uid: number) => gradientKey(3, uid, '1');
      const peers = [1, 2].map((uid) => ({ uid, storage: new FilesystemStorage(path.join(temp.dir, `peer-${uid}`)) }));
      for (const p of peers) await p.storage.put(key(p.uid), new Uint8Array([0x7a, p.uid]));
      // Storage timestamps as the server set them: peer 1 exactly at the deadline, peer 2 just after.
      const deadline = Date.now() - 5000;
      await fs.utimes(path.join(temp.dir, 'peer-1', key(1)), new Date(deadline), new Date(deadline));
      await fs.utimes(path.join(temp.dir, 'peer-2', key(2)), new Date(deadline + 200), new Date(deadline + 200));
      const result = await gather({
        window: 3,
        protocolVersion: '1',
        peers,
        concurrency: 2,
        perPeerTimeoutMs: 1000,
        capMs: 5000,
        pollIntervalMs: 20,
        appearBy: deadline,
        maxPayloadBytes: 100,
        validate: () => ({ ok: true }),
      });
      expect(result.payloads.map((p) => p.uid)).toEqual([1]);
      expect(result.peers.find((p) => p.uid === 2)).toMatchObject({ outcome: 'late', reason: 'uploaded 0.200 s after the deadline' });
    } finally {
      temp.cleanup();
    }
  });

  it('gather: looks for a missing update until the deadline (plus settle), past the per-peer timeout, and uses one that lands in time', async () => {
    const temp = makeTempDir();
    try {
      const storage = new FilesystemStorage(path.join(temp.dir, 'peer-4'));
      const started = Date.now();
      const deadline = started + 3000;
      setTimeout(() => void storage.put(gradientKey(3, 4, '1'), new Uint8Array([0x7a])), 300);
      const result = await gather({
        window: 3,
        protocolVersion: '1',
        peers: [{ uid: 4, storage }],
        concurrency: 1,
        // Shorter than the time the update takes to land: the deadline decides, not this.
        perPeerTimeoutMs: 100,
        capMs: 10_000,
        pollIntervalMs: 20,
        appearBy: deadline,
        settleMs: 200,
        maxPayloadBytes: 100,
        validate: () => ({ ok: true }),
      });
      expect(result.peers[0]).toMatchObject({ uid: 4, outcome: 'accepted' });
      expect(result.peers[0]!.seconds).toBeGreaterThan(0.25);

      // Nothing lands: looked for until deadline + settle, then missing.
      const absent = new FilesystemStorage(path.join(temp.dir, 'peer-5'));
      const from = Date.now();
      const none = await gather({ window: 3, protocolVersion: '1', peers: [{ uid: 5, storage: absent }], concurrency: 1, perPeerTimeoutMs: 50, capMs: 10_000, pollIntervalMs: 20, appearBy: from + 300, settleMs: 200, maxPayloadBytes: 100, validate: () => ({ ok: true }) });
      expect(none.peers[0]).toMatchObject({ outcome: 'missing', reason: 'not uploaded by the deadline' });
      expect(Date.now() - from).toBeGreaterThanOrEqual(500);
    } finally {
      temp.cleanup();
    }
  });
});
