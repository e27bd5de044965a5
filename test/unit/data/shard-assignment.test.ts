import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawDistinct, ShardAssignment, shardAssignmentSeed } from '../../../main/services/data/shard-assignment';
import { shardFileName } from '../../../main/services/data/shard-file-name';
import type { ShardSpec } from '../../../main/ports/run-manifest';
import { fnv1a64, samplerSeed } from '../../../main/services/data/batch-sampler';

/** A shard list: `train` train shards and `val` validation shards, interleaved, with hashes from their names. */
function listing(train: number, val: number): ShardSpec[] {
  const shards: ShardSpec[] = [];
  for (let i = 0; i < Math.max(train, val); i += 1) {
    if (i < train) shards.push(spec(`train_${i}`, 'train'));
    if (i < val) shards.push(spec(`val_${i}`, 'val'));
  }
  return shards;
}

function spec(name: string, split: ShardSpec['split']): ShardSpec {
  const sha256 = createHash('sha256').update(name).digest('hex');
  return { url: `https://data.example/${name}.bin`, bytes: 1024, sha256, dtype: 'uint16', split };
}

describe('shard assignment', () => {
  const shards = listing(10, 3);

  it('seeds FNV-1a 64 with its own domain, not the sampler’s', () => {
    expect(shardAssignmentSeed('peer-7', 12)).toBe(fnv1a64(new TextEncoder().encode('tandem-shards-v1:peer-7:12')));
    expect(shardAssignmentSeed('peer-7', 12)).not.toBe(samplerSeed('peer-7', 12));
  });

  it('gives the same shards for the same peer and window, to anyone who recomputes it', () => {
    const a = new ShardAssignment({ shards, shardsPerPeer: 3 });
    const b = new ShardAssignment({ shards: structuredClone(shards), shardsPerPeer: 3 });
    for (let window = 0; window < 50; window += 1) {
      expect(b.assigned('5F3sa2TJ', window)).toEqual(a.assigned('5F3sa2TJ', window));
    }
  });

  it('assigns shardsPerPeer distinct train shards, in on-disk file-name order', () => {
    const assignment = new ShardAssignment({ shards, shardsPerPeer: 3 });
    for (let window = 0; window < 200; window += 1) {
      const picked = assignment.assigned(`peer-${window % 7}`, window);
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      for (const i of picked) expect(shards[i]!.split).toBe('train');
      const names = picked.map((i) => shardFileName(shards[i]!));
      expect(names).toEqual([...names].sort());
    }
  });

  it('defaults to 2 shards per peer', () => {
    expect(new ShardAssignment({ shards }).assigned('p', 0)).toHaveLength(2);
  });

  it('spreads every train shard evenly over many windows and peers', () => {
    const assignment = new ShardAssignment({ shards, shardsPerPeer: 2 });
    const counts = new Map<number, number>();
    const windows = 3000;
    for (let window = 0; window < windows; window += 1) {
      for (const i of assignment.assigned(`peer-${window % 5}`, window)) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const trainIndices = shards.flatMap((s, i) => (s.split === 'train' ? [i] : []));
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(trainIndices);
    const expected = (windows * 2) / trainIndices.length;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it('gives different peers different shards in the same window', () => {
    const assignment = new ShardAssignment({ shards, shardsPerPeer: 2 });
    const distinct = new Set(Array.from({ length: 40 }, (_, p) => assignment.assigned(`peer-${p}`, 9).join(',')));
    // 45 possible pairs of 10 shards: 40 peers all on one or two pairs would mean the peer id is ignored.
    expect(distinct.size).toBeGreaterThan(10);
  });

  it('assigns every train shard when there are fewer than shardsPerPeer', () => {
    const few = listing(2, 1);
    const assignment = new ShardAssignment({ shards: few, shardsPerPeer: 5 });
    const trainIndices = few.flatMap((s, i) => (s.split === 'train' ? [i] : []));
    expect([...assignment.assigned('p', 3)].sort()).toEqual(trainIndices.sort());
  });

  it('prefetches the next window’s assignment', () => {
    const assignment = new ShardAssignment({ shards, shardsPerPeer: 2 });
    expect(assignment.shardsToPrefetch('p', 41)).toEqual(assignment.assigned('p', 42));
  });

  it('needs the assigned, the prefetched and every validation shard, each once', () => {
    const assignment = new ShardAssignment({ shards, shardsPerPeer: 4 });
    for (let window = 0; window < 30; window += 1) {
      const needed = assignment.specsNeeded('p', window);
      const expected = new Set([...assignment.assigned('p', window), ...assignment.shardsToPrefetch('p', window), ...assignment.validation()].map((i) => shards[i]!));
      expect(new Set(needed)).toEqual(expected);
      expect(needed).toHaveLength(expected.size);
      expect(needed.filter((s) => s.split === 'val')).toHaveLength(3);
    }
  });

  it('draws distinct numbers covering the whole range when asked for all', () => {
    const all = drawDistinct(7, 7, 123n);
    expect([...all].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(drawDistinct(7, 20, 123n)).toEqual(all);
    expect(drawDistinct(7, 3, 123n)).toEqual(all.slice(0, 3));
  });

  it('refuses a window or a setting it cannot spell the same everywhere', () => {
    const assignment = new ShardAssignment({ shards });
    expect(() => assignment.assigned('p', 1.5)).toThrow(/window/);
    expect(() => assignment.assigned('p', -1)).toThrow(/window/);
    expect(() => assignment.assigned('', 1)).toThrow(/peer id/);
    expect(() => new ShardAssignment({ shards, shardsPerPeer: 0 })).toThrow(/shardsPerPeer/);
    expect(() => new ShardAssignment({ shards: listing(0, 2) })).toThrow(/no train shard/);
  });
});
