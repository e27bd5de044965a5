import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointSource } from '../../../main/services/round/checkpoint-source';
import { ModelAudit } from '../../../main/services/round/model-audit';
import type { RunManifest } from '../../../main/ports/run-manifest';
import { ENGINE_SCHEDULES, until, useDevnet } from '../../support/devnet-peers';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

describe('ModelAudit', () => {
  it('names the first window whose digest is not the run\u2019s, waits a while for a record, and forgets what matched', async () => {
    const recorded = new Map<number, string | null>([
      [3, 'aaa'],
      [4, null],
      [6, 'xxx'],
    ]);
    const audit = new ModelAudit({ recordedDigest: async (w) => recorded.get(w) }, 2);
    audit.noteApplied(3, 'aaa');
    audit.noteApplied(4, 'bbb');
    audit.noteApplied(5, 'ccc');
    audit.noteApplied(6, 'ddd');
    // 3 matches, 4's record names no digest, 5 has no record yet (kept), 6 differs.
    expect(await audit.firstDivergence(7)).toEqual({ window: 6, ours: 'ddd', run: 'xxx' });
    expect(await audit.firstDivergence(7)).toBeNull();
    // 5's record never comes: dropped once it is more than 2 windows old.
    recorded.set(8, 'eee');
    audit.noteApplied(8, 'eee');
    expect(await audit.firstDivergence(8)).toBeNull();
    recorded.set(5, 'zzz');
    expect(await audit.firstDivergence(9)).toBeNull();
    audit.noteApplied(9, 'fff');
    audit.reset();
    recorded.set(9, 'not fff');
    expect(await audit.firstDivergence(10)).toBeNull();
  });
});

/**
 * A peer whose model came apart from the run's (here: its weights changed
 * under it after one outer step, as when it could not read an update the
 * others applied) finds out from the publisher's record, stops training until
 * the run's next checkpoint, loads it, replays the windows since, and holds
 * the run's model again.
 */
describe.each(ENGINE_SCHEDULES)('a peer apart from the run\u2019s model takes it back ($schedule)', ({ overlapCommunication }) => {
  const bed = useDevnet(300);
  let manifest: RunManifest;

  beforeEach(() => {
    manifest = vectorEngineManifest(bed.dir, 'repair-test', { blocksPerWindow: 5, blockSeconds: 0.3, uploadDeadlineSeconds: 0.5, uploadGraceSeconds: 0, perPeerTimeoutSeconds: 0.25, gatherCapSeconds: 8 });
  });

  it('detects it from the record, waits for a checkpoint, loads it and replays, then matches the run every window', async () => {
    // Alice stands for the run's checkpoint publisher: her digests are the record, her checkpoints the run's.
    const digests = new Map<string, Map<number, string | null>>();
    const trainers = new Map<string, VectorTrainer>();
    const recording = (name: string) => (uid: number) => {
      const vector = new VectorTrainer(uid);
      trainers.set(name, vector);
      digests.set(name, new Map());
      const apply = vector.applyOuter.bind(vector);
      vector.applyOuter = async (request) => {
        const result = await apply(request);
        digests.get(name)!.set(request.window, result.modelDigest);
        return result;
      };
      return vector;
    };
    let brokenAt: number | null = null;
    let refusals = 1;
    const charlieSource: CheckpointSource = {
      everyWindows: 1,
      recordedDigest: async (w) => digests.get('Alice')!.get(w) ?? undefined,
      restoreNewer: async (than) => {
        const alice = trainers.get('Alice')!;
        const window = alice.checkpointed?.appliedWindow ?? null;
        if (window === null || (than !== null && window <= than)) return null;
        // The first time, none is out yet: the peer must wait and say so.
        if (brokenAt !== null && refusals-- > 0) return null;
        trainers.get('Charlie')!.loadCheckpointOf(alice);
        return { window, modelDigest: alice.digest() };
      },
    };
    const alice = await bed.devnet.add('Alice', { manifest, trainer: recording('Alice'), engine: { overlapCommunication } });
    const bob = await bed.devnet.add('Bob', { manifest, trainer: recording('Bob'), engine: { overlapCommunication } });
    const charlie = await bed.devnet.add('Charlie', {
      manifest,
      trainer: (uid) => {
        const vector = recording('Charlie')(uid);
        const apply = vector.applyOuter.bind(vector);
        let applies = 0;
        vector.applyOuter = async (request) => {
          const result = await apply(request);
          // Once, at its third outer step: Charlie's weights are no longer the run's.
          if (brokenAt === null && ++applies === 3) {
            brokenAt = request.window;
            digests.get('Charlie')!.set(request.window, null);
            vector.params[0] = (vector.params[0] as number) + 1;
            digests.get('Charlie')!.set(request.window, vector.digest());
            return { ...result, modelDigest: vector.digest() };
          }
          return result;
        };
        return vector;
      },
      engine: { overlapCommunication, checkpoints: charlieSource },
    });
    const peers = [alice, bob, charlie];
    await Promise.all(peers.map((p) => p.engine.join()));

    const repairReason = /loaded from the run's checkpoint: this peer's model had differed from the run's since window (\d+)/;
    await until(async () => (await charlie.ledger.read()).records.some((r) => repairReason.test(r.reason ?? '')), async () => JSON.stringify((await charlie.ledger.read()).records.slice(-8)), 30_000);
    const { records } = await charlie.ledger.read();
    const repaired = records.find((r) => repairReason.test(r.reason ?? ''))!;
    expect(Number(repairReason.exec(repaired.reason!)![1])).toBe(brokenAt);
    // Before the checkpoint was out it trained nothing, and said why.
    expect(records.some((r) => r.phase === 'missed' && /model differs from the run's since window \d+: waiting for the run's next checkpoint/.test(r.reason ?? ''))).toBe(true);
    // From then on Charlie's model is the run's (Alice's) after every window.
    const after = repaired.window;
    await until(() => [...digests.get('Charlie')!.keys()].filter((w) => w > after + 1 && digests.get('Alice')!.has(w)).length >= 2, () => `charlie: ${JSON.stringify([...digests.get('Charlie')!])}`, 30_000);
    for (const [w, digest] of digests.get('Charlie')!) {
      if (w > after && digests.get('Alice')!.has(w)) expect(digest, `window ${w}`).toBe(digests.get('Alice')!.get(w));
    }
  }, 60_000);
});
