import path from 'node:path';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { validatePayload } from '../../../main/adapters/codec';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { FilesystemStorage } from '../../../main/adapters/storage/filesystem-storage';
import { gradientKey } from '../../../main/ports/object-keys';
import type { StoragePort } from '../../../main/ports/storage-port';
import { ENGINE_SCHEDULES, roundsDone, useDevnet, type DevnetPeer } from '../../support/devnet-peers';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

type Peer = DevnetPeer<VectorTrainer>;

describe.each(ENGINE_SCHEDULES)('RoundEngine on a devnet ($schedule)', ({ overlapCommunication }) => {
  const bed = useDevnet(50);
  let manifest: RunManifest;

  beforeEach(() => {
    manifest = vectorEngineManifest(bed.dir, 'engine-test');
  });

  const storageOf = (uid: number) => bed.devnet.storageOf(uid);
  const makePeer = (name: string, engine: { storage?: StoragePort; logger?: pino.Logger; uploadAttempts?: number } = {}): Promise<Peer> =>
    bed.devnet.add(name, { manifest, trainer: (uid) => new VectorTrainer(uid), engine: { ...engine, overlapCommunication } });

  it('trains, uploads, gathers and applies: peers stay in sync and the loss falls', async () => {
    const peers = [await makePeer('Alice'), await makePeer('Bob'), await makePeer('Charlie')];
    const initialLoss = peers[0]!.trainer.loss();
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // Same updates, same aggregate, same outer step: the same model everywhere.
    const digests = new Set(peers.map((p) => p.trainer.digest()));
    expect(digests.size).toBe(1);
    // Only 1.5625 % of coordinates move per window, so three windows cut the loss by a few percent.
    expect(peers[0]!.trainer.loss()).toBeLessThan(initialLoss * 0.97);

    const summaries = await peers[0]!.ledger.summaries();
    const complete = summaries.filter((s) => ['trained', 'uploaded', 'gathered', 'applied'].every((p) => s.phases.includes(p)));
    expect(complete.length).toBeGreaterThanOrEqual(3);
    expect(complete[0]!.bytesUp).toBeGreaterThan(0);
    expect(complete[0]!.bytesDown).toBeGreaterThan(0);
    // The trainer's largest resident memory over each window's steps (not the last step's).
    expect(complete.map((c) => c.memoryBytes)).toEqual(complete.map(() => 2_000_000));

    // Overlapped, window w's aggregate is applied after window w+1 has trained; in turn, before it starts.
    const { records } = await peers[0]!.ledger.read();
    const find = (window: number, phase: string) => records.find((r) => r.window === window && r.phase === phase);
    const pairs = complete
      .map((c) => ({ applied: find(c.window, 'applied')!, next: find(c.window + 1, 'trained') }))
      .filter((p): p is { applied: (typeof records)[number]; next: (typeof records)[number] } => p.next !== undefined);
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    const overlapped = pairs.filter((p) => p.applied.at >= p.next.at);
    const inTurn = pairs.filter((p) => p.applied.at <= p.next.at - p.next.phaseSeconds!.training! * 1000);
    if (overlapCommunication) expect(overlapped).toHaveLength(pairs.length);
    else expect(inTurn).toHaveLength(pairs.length);

    const phasesSeen = new Set(peers[0]!.states.map((s) => s.phase));
    for (const phase of ['training', 'uploading', 'gathering', 'applying']) expect(phasesSeen).toContain(phase);
    expect(peers[0]!.states.some((s) => s.innerStep === 5 && s.innerSteps === 5)).toBe(true);
    expect(peers[0]!.engine.current.lossHistory.length).toBeGreaterThan(0);
  });

  it('a corrupt peer payload is rejected with its reason and the others go on', async () => {
    // Alice's log, where every unused update is accounted for with its reason.
    const aliceLog: Array<{ msg: string; uid?: number; outcome?: string; reason?: string }> = [];
    const aliceLogger = pino({ level: 'warn' }, { write: (line: string) => void aliceLog.push(JSON.parse(line)) });
    const peers = [await makePeer('Alice', { logger: aliceLogger }), await makePeer('Bob')];
    // A third registered peer whose storage always holds garbage for every window.
    const liar = await makePeer('Mallory');
    const garbage = new Uint8Array(200).fill(7);
    const liarStorage = storageOf(liar.uid);
    const unsubscribe = await bed.devnet.chain.subscribeBlocks(async (b) => {
      const w = Math.floor(b.number / 10);
      await liarStorage.put(gradientKey(w, liar.uid, '1'), garbage);
    });
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 2);
    unsubscribe();
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));
    expect(new Set(peers.map((p) => p.trainer.digest())).size).toBe(1);
    const applied = (await peers[0]!.ledger.summaries()).filter((s) => s.phases.includes('applied'));
    expect(applied.length).toBeGreaterThanOrEqual(2);
    // Rejected with the codec's own reason, every window, while Bob's update was used.
    const verdict = await validatePayload(garbage);
    expect(verdict.ok).toBe(false);
    const expectedReason = verdict.ok ? '' : `${verdict.field}: ${verdict.message}`;
    const rejections = aliceLog.filter((l) => l.msg === 'peer update not used' && l.uid === liar.uid);
    expect(rejections.length).toBeGreaterThanOrEqual(2);
    for (const r of rejections) expect(r).toMatchObject({ outcome: 'rejected', reason: expectedReason });
    expect(aliceLog.some((l) => l.msg === 'peer update not used' && l.uid === peers[1]!.uid)).toBe(false);
  });

  /** A folder whose update uploads fail while `failing(key, attempt)` says so (sync reports always go up). */
  const flakyStorage = (failing: (key: string, attempt: number) => boolean): StoragePort & { attempts: Map<string, number> } => {
    const real = new FilesystemStorage(path.join(bed.dir, 'peers', 'flaky'));
    const attempts = new Map<string, number>();
    return {
      name: 'flaky',
      attempts,
      put: async (key, data, o) => {
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        if (key.startsWith('gradient-') && failing(key, attempt)) throw new Error('connection refused');
        return real.put(key, data, o);
      },
      get: (k, o) => real.get(k, o),
      head: (k, o) => real.head(k, o),
      list: (p, o) => real.list(p, o),
      delete: (k, o) => real.delete(k, o),
    };
  };

  it('a failed upload marks the window missed, nothing corrupt, and the next window is fine', async () => {
    // Every attempt at the first update fails, whatever the schedule; the updates after it go up.
    let firstKey: string | null = null;
    const flaky = flakyStorage((key) => (firstKey ??= key) === key);
    const peer = await makePeer('Alice', { storage: flaky, uploadAttempts: 2 });
    await peer.engine.join();
    await roundsDone([peer], 2);
    await peer.engine.leave('after-round');
    const [first, second] = await peer.ledger.summaries();
    expect(first).toMatchObject({ phases: expect.arrayContaining(['trained', 'missed', 'applied']), reason: expect.stringContaining('upload failed: connection refused') });
    expect(second!.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'applied']));
    expect(second!.reason).toBeUndefined();
  });

  it('an upload that fails once is tried again and counts', async () => {
    const flaky = flakyStorage((_key, attempt) => attempt === 1);
    const peer = await makePeer('Alice', { storage: flaky });
    await peer.engine.join();
    await roundsDone([peer], 1);
    await peer.engine.leave('after-round');
    const [first] = await peer.ledger.summaries();
    expect(first!.phases).toEqual(expect.arrayContaining(['trained', 'uploaded', 'applied']));
    expect([...flaky.attempts].filter(([key]) => key.startsWith('gradient-'))[0]?.[1]).toBe(2);
  });

  it('a training failure marks the window missed and the engine recovers next window', async () => {
    const peer = await makePeer('Alice');
    peer.trainer.failNextTrain = 'trainer exited with code 137';
    await peer.engine.join();
    await roundsDone([peer], 1);
    await peer.engine.leave('after-round');
    const summaries = await peer.ledger.summaries();
    // Not trained nor uploaded; the engine replays that window's aggregate from the others (none here) next window.
    const { records } = await peer.ledger.read();
    expect(records.filter((r) => r.window === summaries[0]!.window && r.phase === 'missed')[0]).toMatchObject({ reason: 'training failed: trainer exited with code 137' });
    expect(summaries[0]!.phases).not.toContain('trained');
    expect(summaries[0]!.phases).not.toContain('uploaded');
    expect(summaries.some((s) => s.phases.includes('applied'))).toBe(true);
  });
});
