import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChainBlock, ChainPort } from '../../../main/ports/chain-port';
import type { PeerAccount } from '../../../main/services/round/gather';
import { CatchUpState } from '../../../main/services/round/catch-up-state';
import { uploadDeadline } from '../../../main/services/round/inclusion';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { parseGradientKey } from '../../../main/ports/object-keys';
import type { StoragePort } from '../../../main/ports/storage-port';
import { ENGINE_SCHEDULES, until, useDevnet, type DevnetPeer } from '../../support/devnet-peers';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

interface Peer extends DevnetPeer<VectorTrainer> {
  /** Per window: each gathered peer's outcome. */
  gathers: Map<number, readonly PeerAccount[]>;
  /** Per window: the payload files the outer step aggregated, and the model digest after it. */
  applied: Map<number, { files: string[]; digest: string | null }>;
  /** Windows whose outer step threw. */
  failedApplies: number[];
  /** How many times each window's outer step was applied (more than once: replayed). */
  appliedTimes: Map<number, number>;
}

/** Every window all the peers applied left them with the same model. */
function expectSameModels(peers: readonly Peer[], mustInclude: readonly number[]): void {
  const common = [...peers[0]!.applied.keys()].filter((w) => peers.every((p) => p.applied.has(w)));
  expect(common).toEqual(expect.arrayContaining([...mustInclude]));
  for (const w of common) {
    const digests = new Set(peers.map((p) => p.applied.get(w)!.digest));
    expect(digests.size).toBe(1);
    expect(digests.has(null)).toBe(false);
  }
}

// Faults that must not split the peers' models (issue #5): an upload that
// lands just after the deadline is left out by every peer alike, whoever was
// still looking when it landed; an outer step that fails (a trainer error, a
// failed gather) is applied again.
describe.each(ENGINE_SCHEDULES)('RoundEngine consistency under faults ($schedule)', ({ overlapCommunication }) => {
  const bed = useDevnet(300);
  let manifest: RunManifest;

  beforeEach(() => {
    // 1.5 s windows of five 300 ms blocks; the deadline is 0.5 s after a window's end, gatherers look a block
    // (300 ms, the settle margin) more, well inside the cap. The per-peer timeout is shorter on purpose: the
    // deadline, not it, decides how long to look.
    manifest = vectorEngineManifest(bed.dir, 'consistency-test', { blocksPerWindow: 5, blockSeconds: 0.3, uploadDeadlineSeconds: 0.5, uploadGraceSeconds: 0, perPeerTimeoutSeconds: 0.25, gatherCapSeconds: 8 });
  });

  const storageOf = (uid: number) => bed.devnet.storageOf(uid);

  async function makePeer(
    name: string,
    overrides: {
      storage?: (uid: number) => StoragePort;
      chain?: ChainPort;
      restoreFrom?: VectorTrainer;
      catchUpState?: CatchUpState;
      /** The trainer checkpoints after every Nth outer step only (as NativeTrainer's CheckpointSpacing does at real sizes). */
      checkpointEvery?: number;
      /** The trainer process dies right after this outer step (counted from 1) and restarts from its last checkpoint. */
      restartAfterStep?: number;
    } = {},
  ): Promise<Peer> {
    const applied: Peer['applied'] = new Map();
    const appliedTimes: Peer['appliedTimes'] = new Map();
    const failedApplies: number[] = [];
    const gathers: Peer['gathers'] = new Map();
    const trainer = (uid: number) => {
      const vector = overrides.restoreFrom ? VectorTrainer.restore(overrides.restoreFrom) : new VectorTrainer(uid);
      const apply = vector.applyOuter.bind(vector);
      let steps = 0;
      vector.applyOuter = async (request) => {
        const before = vector.checkpointed;
        const result = await apply(request).catch((error: unknown) => {
          failedApplies.push(request.window);
          throw error;
        });
        steps += 1;
        if (overrides.checkpointEvery && steps % overrides.checkpointEvery !== 0) vector.checkpointed = before;
        applied.set(request.window, { files: request.payloadFiles.map((f) => path.basename(f)), digest: result.modelDigest });
        appliedTimes.set(request.window, (appliedTimes.get(request.window) ?? 0) + 1);
        if (steps === overrides.restartAfterStep) vector.restartFromCheckpoint();
        return result;
      };
      return vector;
    };
    const peer = await bed.devnet.add(name, {
      manifest,
      trainer,
      engine: (uid) => ({
        ...(overrides.storage ? { storage: overrides.storage(uid) } : {}),
        ...(overrides.chain ? { chain: overrides.chain } : {}),
        ...(overrides.catchUpState ? { catchUpState: overrides.catchUpState } : {}),
        onGather: (window, peers) => gathers.set(window, peers),
        overlapCommunication,
      }),
    });
    return { ...peer, gathers, applied, appliedTimes, failedApplies };
  }

  it('an update stored just after the deadline is late for every peer, used by none, and the peers stay on one model', async () => {
    let anchor: ChainBlock | null = null;
    const unsubscribe = await bed.devnet.chain.subscribeBlocks((block) => (anchor ??= block));
    let uploads = 0;
    let lateWindow: number | null = null;
    let nextWindow: number | null = null;
    // Charlie's second upload lands 30 ms after its window's deadline, while the others still look (a slow link whose bytes the
    // server still stores); the others are on time. The next window Charlie trains (the next one when
    // overlapped; in turn, Charlie catches up the one it spent waiting) is on time.
    const slowOnce = (uid: number): StoragePort => {
      const real = storageOf(uid);
      return {
        name: 'slow-once',
        put: async (key, data, o) => {
          // Updates only: the sync report beside each one goes through as it is.
          const window = parseGradientKey(key)?.window;
          if (window === undefined) return real.put(key, data, o);
          uploads += 1;
          if (uploads === 3) nextWindow = window;
          if (uploads !== 2 || anchor === null) return real.put(key, data, o);
          lateWindow = window;
          const landAt = uploadDeadline(window, manifest.windows, anchor) + 30;
          await new Promise((r) => setTimeout(r, Math.max(0, landAt - Date.now())));
          return real.put(key, data);
        },
        get: (k, o) => real.get(k, o),
        head: (k, o) => real.head(k, o),
        list: (p, o) => real.list(p, o),
        delete: (k, o) => real.delete(k, o),
      };
    };
    const alice = await makePeer('Alice');
    const bob = await makePeer('Bob');
    const charlie = await makePeer('Charlie', { storage: slowOnce });
    const peers = [alice, bob, charlie];
    await Promise.all(peers.map((p) => p.engine.join()));
    await until(
      () => {
        const [late, next] = [lateWindow, nextWindow];
        return late !== null && next !== null && peers.every((p) => p.applied.has(late) && p.applied.has(next));
      },
      () => `late window ${lateWindow}, next ${nextWindow}; applied: ${peers.map((p) => [...p.applied.keys()].join(' ')).join(' | ')}`,
    );
    unsubscribe();
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));
    const late = lateWindow as unknown as number;
    const next = nextWindow as unknown as number;

    // Both on-time gatherers saw Charlie's update for the late window and called it late, with the reason.
    for (const peer of [alice, bob]) {
      const account = peer.gathers.get(late)?.find((a) => a.uid === charlie.uid);
      expect(account, JSON.stringify(peer.gathers.get(late))).toMatchObject({ outcome: 'late', reason: expect.stringMatching(/^uploaded \d+\.\d{3} s after the deadline$/) });
      // On time the next window it trains: used.
      expect(peer.gathers.get(next)?.find((a) => a.uid === charlie.uid), JSON.stringify(peer.gathers.get(next))).toMatchObject({ outcome: 'accepted' });
    }
    // Nobody aggregated it, Charlie included; the late window's aggregate is Alice's and Bob's.
    const own = (w: number) => `window-${w}.tndc`;
    const fromPeer = (w: number, uid: number) => `window-${w}-peer-${uid}.tndc`;
    expect(alice.applied.get(late)!.files).toEqual([own(late), fromPeer(late, bob.uid)]);
    expect(bob.applied.get(late)!.files).toEqual([fromPeer(late, alice.uid), own(late)]);
    expect(charlie.applied.get(late)!.files).toEqual([fromPeer(late, alice.uid), fromPeer(late, bob.uid)]);
    expect(charlie.applied.get(next)!.files).toHaveLength(3);
    const { records } = await charlie.ledger.read();
    expect(records.find((r) => r.window === late && r.phase === 'missed')).toMatchObject({ reason: expect.stringContaining('upload too late to count: uploaded') });

    // Same aggregates, same model: every window the three applied leaves them bit-identical.
    expectSameModels(peers, [late, next]);
  }, 90_000);

  it('a peer stopped for two windows restarts from its checkpoint, replays what it missed, and holds the global model again', async () => {
    const stateFile = path.join(bed.dir, 'charlie-catch-up.json');
    const peers = [await makePeer('Alice'), await makePeer('Bob'), await makePeer('Charlie', { catchUpState: await CatchUpState.load(stateFile, 10) })];
    const charlie = peers[2]!;
    await Promise.all(peers.map((p) => p.engine.join()));
    await until(() => charlie.applied.size >= 2, () => 'Charlie applied fewer than 2 windows');
    // Charlie's process dies: nothing of its engine survives but its trainer's checkpoint and its catch-up file.
    await charlie.engine.leave('now');
    await charlie.engine.settle();
    const stoppedAfter = charlie.trainer.checkpointed!.appliedWindow;
    await until(() => peers[0]!.applied.has(stoppedAfter + 3), () => `Alice applied ${[...peers[0]!.applied.keys()].join(' ')}`);

    const back = await makePeer('Charlie', { restoreFrom: charlie.trainer, catchUpState: await CatchUpState.load(stateFile, 10) });
    expect(back.uid).toBe(charlie.uid);
    await back.engine.join();
    const trainedAgain = () => [...back.applied.keys()].find((w) => w > stoppedAfter + 3);
    await until(() => trainedAgain() !== undefined && peers.slice(0, 2).every((p) => p.applied.has(trainedAgain()!)), () => `back applied ${[...back.applied.keys()].join(' ')}`);
    await Promise.all([peers[0]!.engine.leave('after-round'), peers[1]!.engine.leave('after-round'), back.engine.leave('after-round')]);

    // The windows it missed were replayed in order, then it trained again; the models agree at every common window.
    const replayed = [...back.applied.keys()].filter((w) => w <= stoppedAfter + 3);
    expect(replayed[0]).toBe(stoppedAfter + 1);
    const { records } = await back.ledger.read();
    expect(records.some((r) => r.phase === 'missed' && r.reason === 'not trained: catching up after downtime')).toBe(true);
    expect(records.some((r) => r.window > stoppedAfter + 3 && r.phase === 'uploaded')).toBe(true);
    expectSameModels([peers[0]!, peers[1]!, back], [stoppedAfter + 1, trainedAgain()!]);
  }, 90_000);

  it('a trainer that restarts from a checkpoint some windows old is noticed: the windows since are replayed, and the peer holds the global model again', async () => {
    // Charlie's trainer checkpoints every third outer step and dies right after its fifth: it comes back holding the third.
    const peers = [await makePeer('Alice'), await makePeer('Bob'), await makePeer('Charlie', { checkpointEvery: 3, restartAfterStep: 5 })];
    const charlie = peers[2]!;
    await Promise.all(peers.map((p) => p.engine.join()));
    await until(() => charlie.applied.size >= 5, () => `Charlie applied ${[...charlie.applied.keys()].join(' ')}`);
    const steps = [...charlie.applied.keys()].sort((a, b) => a - b);
    const [held, lost] = [steps[2]!, steps[4]!];
    const trainedAfter = () => [...charlie.applied.keys()].find((w) => w > lost + 1 && (charlie.appliedTimes.get(w) ?? 0) === 1 && peers.slice(0, 2).every((p) => p.applied.has(w)));
    await until(() => trainedAfter() !== undefined, () => `Charlie applied ${[...charlie.applied.keys()].join(' ')}`);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // The windows after the checkpoint it came back with were applied again (replayed), up to the lost ones.
    expect(charlie.appliedTimes.get(held)).toBe(1);
    for (let w = held + 1; w <= lost; w++) expect([w, charlie.appliedTimes.get(w)]).toEqual([w, 2]);
    const { records } = await charlie.ledger.read();
    expect(records.some((r) => r.phase === 'missed' && r.reason === 'not trained: catching up after downtime')).toBe(true);
    expectSameModels(peers, [lost, trainedAfter()!]);
  }, 90_000);

  it('an outer step that fails goes back to the window start and is applied again: the peer stays on the global model', async () => {
    const peers = [await makePeer('Alice'), await makePeer('Bob'), await makePeer('Charlie')];
    const bob = peers[1]!;
    await Promise.all(peers.map((p) => p.engine.join()));
    // Bob's trainer fails the outer step after its first one went through.
    await until(() => bob.applied.size >= 1, () => 'Bob applied nothing');
    bob.trainer.failNextApply = 'trainer error: CUDA out of memory';
    await until(
      () => {
        const f = bob.failedApplies[0];
        return f !== undefined && peers.every((p) => p.applied.has(f) && p.applied.has(f + 1));
      },
      () => `failed ${bob.failedApplies.join(' ')}; applied: ${peers.map((p) => [...p.applied.keys()].join(' ')).join(' | ')}`,
    );
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));
    const window = bob.failedApplies[0]!;
    expect(bob.failedApplies).toEqual([window]);

    const { records } = await bob.ledger.read();
    const ofWindow = records.filter((r) => r.window === window);
    expect(ofWindow.find((r) => r.phase === 'missed')).toMatchObject({ reason: 'outer step failed: trainer error: CUDA out of memory; applied again before the next window' });
    // The replay: the same three updates as everyone's.
    expect(ofWindow.some((r) => r.phase === 'applied')).toBe(true);
    expect(bob.applied.get(window)!.files).toHaveLength(3);
    expectSameModels(peers, [window, window + 1]);
  }, 90_000);

  it('a gather that fails is gathered again before the next window, with the own update: the peer stays on the global model', async () => {
    // Bob's chain link fails twice: at the next window start's read of the candidates (harmless: the gather reads
    // again), and when Bob reads the metagraph to choose whom to gather from, whichever comes first.
    let failing = 0;
    const flaky = new Proxy(bed.devnet.chain, {
      get(target, prop) {
        if (prop === 'metagraph' && failing > 0) {
          return async () => {
            failing -= 1;
            throw new Error('chain unreachable');
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const peers = [await makePeer('Alice'), await makePeer('Bob', { chain: flaky }), await makePeer('Charlie')];
    const bob = peers[1]!;
    await Promise.all(peers.map((p) => p.engine.join()));
    await until(() => bob.applied.size >= 1, () => 'Bob applied nothing');
    const before = Math.min(...peers.map((p) => p.applied.size));
    failing = 2;
    await until(
      () => failing === 0 && peers.every((p) => p.applied.size >= before + 3),
      () => `applied: ${peers.map((p) => [...p.applied.keys()].join(' ')).join(' | ')}`,
    );
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    const { records } = await bob.ledger.read();
    const missed = records.filter((r) => r.phase === 'missed' && r.reason?.startsWith('outer step failed'));
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ reason: 'outer step failed: gather failed: chain unreachable; applied again before the next window' });
    const window = missed[0]!.window;
    // Gathered again: Alice's, Charlie's, and Bob's own update as stored, by the same inclusion rule.
    expect(bob.applied.get(window)!.files).toEqual(peers.map((p) => `window-${window}-peer-${p.uid}.tndc`));
    expectSameModels(peers, [window, window + 1]);
  }, 90_000);
});
