import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PayloadVerdict, PeerAccount } from '../../../main/services/round/gather';
import { codecVerdict, roundsDone, useDevnet } from '../../support/devnet-peers';
import { StagingVectorTrainer, vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

// Issue 23: a payload is validated once and then handed on as bytes. With a
// trainer that stages payloads (the native trainer's stage_payload), the
// gather's check of a downloaded update IS the trainer's decode, and the outer
// step applies the staged updates by key. With a trainer that takes only files
// (the fallback), the engine checks each update with the codec exactly once and
// the trainer reads the file. Either way an outer step that fails is applied
// again from what it kept: no second gather, no second check.
describe('RoundEngine: each gathered payload is checked once on a peer', () => {
  const bed = useDevnet(50);

  /** Alice (with `trainer`) and two file-reading peers run 3 windows; Alice's first outer step fails. */
  async function threeWindowsWithAFailedOuterStep<T extends VectorTrainer>(name: string, trainer: (uid: number) => T) {
    const manifest = vectorEngineManifest(bed.dir, name);
    const checked = new Map<string, number>();
    const gathers: Array<{ window: number; peers: readonly PeerAccount[] }> = [];
    const countingVerdict = async (bytes: Uint8Array): Promise<PayloadVerdict> => {
      const digest = createHash('sha256').update(bytes).digest('hex');
      checked.set(digest, (checked.get(digest) ?? 0) + 1);
      return codecVerdict(bytes);
    };
    const alice = await bed.devnet.add('Alice', { manifest, trainer, engine: { validatePayload: countingVerdict, onGather: (window, peers) => gathers.push({ window, peers }) } });
    const others = [await bed.devnet.add('Bob', { manifest, trainer: (uid) => new VectorTrainer(uid) }), await bed.devnet.add('Charlie', { manifest, trainer: (uid) => new VectorTrainer(uid) })];
    alice.trainer.failNextApply = 'trainer error: CUDA out of memory';
    const peers = [alice, ...others];
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // The failed outer step was applied again from what it kept: no second gather of that window.
    const { records } = await alice.ledger.read();
    const failed = records.find((r) => r.phase === 'missed' && r.reason?.startsWith('outer step failed: trainer error: CUDA out of memory'));
    expect(failed?.reason).toContain('applied again before the next window');
    expect(records.filter((r) => r.window === failed!.window && r.phase === 'applied')).toHaveLength(1);
    expect(gathers.filter((g) => g.window === failed!.window)).toHaveLength(1);
    const downloaded = gathers.flatMap((g) => g.peers).filter((p) => p.outcome === 'accepted' || p.outcome === 'rejected');
    expect(downloaded.length).toBeGreaterThanOrEqual(4);
    return { alice, peers, checked, downloaded };
  }

  it('with a staging trainer: stages every downloaded update once and applies the staged updates, also after a failed outer step', async () => {
    const { alice, peers, checked, downloaded } = await threeWindowsWithAFailedOuterStep('decoded-once', (uid) => new StagingVectorTrainer(uid));
    const trainer = alice.trainer;
    // The engine never decoded a payload itself: the trainer's staging was the check.
    expect(checked.size).toBe(0);
    // Each payload decoded exactly once (downloaded ones and this peer's own), none twice.
    const decodes = [...trainer.decodes.values()];
    expect(decodes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(downloaded.length);
    expect(Math.max(...decodes)).toBe(1);
    // Every outer step applied staged updates, never files read again.
    expect(trainer.applied.length).toBeGreaterThanOrEqual(2);
    expect(trainer.applied.every((a) => a.staged)).toBe(true);
    // Bit-identical with the peers that read files: the same aggregates in the same (uid) order.
    expect(new Set(peers.map((p) => p.trainer.digest())).size).toBe(1);
    // Nothing left staged once the windows are applied or dropped.
    expect(trainer.staged.size).toBe(0);
    // Each window's step was named to the trainer once its updates were staged, for the next window's start,
    // with the keys the step then applied; the steps after the first were made beside the inner steps.
    expect(trainer.preparations.length).toBeGreaterThanOrEqual(2);
    for (const p of trainer.preparations) expect(p.baseWindow).toBe(p.window + 1);
    expect(trainer.applied.filter((a) => a.prepared).length).toBeGreaterThanOrEqual(1);
  });

  it('with a trainer that takes files: validates every downloaded update once with the codec, also when the outer step fails and the window is applied again', async () => {
    const { checked, downloaded } = await threeWindowsWithAFailedOuterStep('checked-once', (uid) => new VectorTrainer(uid));
    expect([...checked.values()].reduce((a, b) => a + b, 0)).toBe(downloaded.length);
    expect(Math.max(...checked.values())).toBe(1);
  });
});
