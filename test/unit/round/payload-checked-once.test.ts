import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PayloadVerdict, PeerAccount } from '../../../main/services/round/gather';
import { codecVerdict, roundsDone, useDevnet } from '../../support/devnet-peers';
import { vectorEngineManifest, VectorTrainer } from '../../support/vector-trainer';

// Issue 23: a payload is validated once and then handed on as bytes. The
// engine checks each downloaded update with the codec exactly once; the
// trainer then reads the file it was written to (its protocol takes files),
// and an outer step that fails applies the same files again, unchecked.
describe('RoundEngine: each gathered payload is validated once', () => {
  const bed = useDevnet(50);

  it('validates every downloaded update once, also when the outer step fails and the window is applied again', async () => {
    const manifest = vectorEngineManifest(bed.dir, 'checked-once');
    const checked = new Map<string, number>();
    const gathers: Array<{ window: number; peers: readonly PeerAccount[] }> = [];
    const countingVerdict = async (bytes: Uint8Array): Promise<PayloadVerdict> => {
      const digest = createHash('sha256').update(bytes).digest('hex');
      checked.set(digest, (checked.get(digest) ?? 0) + 1);
      return codecVerdict(bytes);
    };
    const alice = await bed.devnet.add('Alice', {
      manifest,
      trainer: (uid) => new VectorTrainer(uid),
      engine: { validatePayload: countingVerdict, onGather: (window, peers) => gathers.push({ window, peers }) },
    });
    const others = [await bed.devnet.add('Bob', { manifest, trainer: (uid) => new VectorTrainer(uid) }), await bed.devnet.add('Charlie', { manifest, trainer: (uid) => new VectorTrainer(uid) })];
    alice.trainer.failNextApply = 'trainer error: CUDA out of memory';
    const peers = [alice, ...others];
    await Promise.all(peers.map((p) => p.engine.join()));
    await roundsDone(peers, 3);
    await Promise.all(peers.map((p) => p.engine.leave('after-round')));

    // The failed outer step was applied again from the files it kept: no second gather of that window.
    const { records } = await alice.ledger.read();
    const failed = records.find((r) => r.phase === 'missed' && r.reason?.startsWith('outer step failed: trainer error: CUDA out of memory'));
    expect(failed?.reason).toContain('applied again before the next window');
    expect(records.filter((r) => r.window === failed!.window && r.phase === 'applied')).toHaveLength(1);
    expect(gathers.filter((g) => g.window === failed!.window)).toHaveLength(1);

    // One check per downloaded update, none twice.
    const downloaded = gathers.flatMap((g) => g.peers).filter((p) => p.outcome === 'accepted' || p.outcome === 'rejected');
    expect(downloaded.length).toBeGreaterThanOrEqual(4);
    expect([...checked.values()].reduce((a, b) => a + b, 0)).toBe(downloaded.length);
    expect(Math.max(...checked.values())).toBe(1);
  });
});
