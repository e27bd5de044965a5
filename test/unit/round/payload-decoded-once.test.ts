import { describe, expect, it } from 'vitest';
import type { PayloadVerdict, PeerAccount } from '../../../main/services/round/gather';
import { codecVerdict, roundsDone, useDevnet } from '../../support/devnet-peers';
import { StagingVectorTrainer, vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

// Issue 23: a payload is validated once and then handed on as bytes. With a
// trainer that stages payloads (the native trainer's stage_payload), the
// gather's check of a downloaded update IS the trainer's decode: the engine
// does not check it with the codec first, and the outer step applies the
// staged updates by key, in uid order, without decoding them again, also when
// it fails and the window is applied again.
describe('RoundEngine: each gathered payload is decoded once on a peer', () => {
  const bed = useDevnet(50);

  it('stages every downloaded update once and applies the staged updates, also after a failed outer step', async () => {
    const manifest = vectorEngineManifest(bed.dir, 'decoded-once');
    let engineChecks = 0;
    const gathers: Array<{ window: number; peers: readonly PeerAccount[] }> = [];
    const countingVerdict = async (bytes: Uint8Array): Promise<PayloadVerdict> => {
      engineChecks += 1;
      return codecVerdict(bytes);
    };
    const alice = await bed.devnet.add('Alice', {
      manifest,
      trainer: (uid) => new StagingVectorTrainer(uid),
      engine: { validatePayload: countingVerdict, onGather: (window, peers) => gathers.push({ window, peers }) },
    });
    const others = [await bed.devnet.add('Bob', { manifest, trainer: (uid) => new VectorTrainer(uid) }), await bed.devnet.add('Charlie', { manifest, trainer: (uid) => new VectorTrainer(uid) })];
    alice.trainer.failNextApply = 'trainer error: CUDA out of memory';
    const peers = [alice, ...others];
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // The failed outer step was applied again from what stayed staged: no second gather, no second decode.
    const { records } = await alice.ledger.read();
    const failed = records.find((r) => r.phase === 'missed' && r.reason?.startsWith('outer step failed: trainer error: CUDA out of memory'));
    expect(failed?.reason).toContain('applied again before the next window');
    expect(records.filter((r) => r.window === failed!.window && r.phase === 'applied')).toHaveLength(1);
    expect(gathers.filter((g) => g.window === failed!.window)).toHaveLength(1);

    // The engine never decoded a payload itself: the trainer's staging was the check.
    expect(engineChecks).toBe(0);
    const downloaded = gathers.flatMap((g) => g.peers).filter((p) => p.outcome === 'accepted' || p.outcome === 'rejected');
    expect(downloaded.length).toBeGreaterThanOrEqual(4);
    // Each payload decoded exactly once (downloaded ones and this peer's own), none twice.
    const decodes = [...alice.trainer.decodes.values()];
    expect(decodes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(downloaded.length);
    expect(Math.max(...decodes)).toBe(1);
    // Every outer step applied staged updates, never files read again.
    expect(alice.trainer.applied.length).toBeGreaterThanOrEqual(2);
    expect(alice.trainer.applied.every((a) => a.staged)).toBe(true);

    // Bit-identical with the peers that read files: the same aggregates in the same (uid) order.
    const digests = peers.map((p) => p.trainer.digest());
    expect(new Set(digests).size).toBe(1);
    // Nothing left staged once the windows are applied or dropped.
    expect(alice.trainer.staged.size).toBe(0);
  });
});
