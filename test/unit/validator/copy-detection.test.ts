import { describe, expect, it } from 'vitest';
import { decodePayload, encodeTensors } from '../../../main/adapters/codec';
import { seededRandom } from '../../../main/core/seeded-random';
import { standardNormal } from '../../../main/core/standard-normal';
import { detectCopies, type SparseUpdate } from '../../../main/services/validator/copy-detection';
import { fingerprint } from '../../../main/services/validator/payload-fingerprint';
import { DEFAULT_VALIDATOR_SETTINGS } from '../../../main/services/validator/validator-settings';

const SIDE = 128; // a 128 × 128 tensor: the codec's 64 × 64 chunks, 4 of them
const K = 64; // kept per chunk: 1.5625 %, as the published runs
const settings = {
  explainedThreshold: DEFAULT_VALIDATOR_SETTINGS.copyExplainedThreshold,
  orderToleranceMs: DEFAULT_VALIDATOR_SETTINGS.copyOrderToleranceMs,
  maxSources: DEFAULT_VALIDATOR_SETTINGS.copyMaxSources,
};

/**
 * Pseudo-gradients of peers training the same model on their own data: a
 * direction every peer shares (the "true" gradient) plus each peer's own
 * (its batches' noise). `shared` is the common direction's share of the
 * energy before sparsification.
 */
function peerGradients(count: number, shared: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const common = Float32Array.from({ length: SIDE * SIDE }, () => standardNormal(random));
  return Array.from({ length: count }, () =>
    Float32Array.from(common, (c) => Math.sqrt(shared) * c + Math.sqrt(1 - shared) * standardNormal(random)),
  );
}

/** What the validator sees of an update: the codec's payload (top-k, 2-bit values) decoded. */
async function upload(uid: number, dense: Float32Array, uploadedAt: number): Promise<SparseUpdate> {
  const payload = await encodeTensors([{ name: 'w', shape: [SIDE, SIDE], data: dense }], { k: K });
  const print = fingerprint(await decodePayload(payload));
  return { uid, indices: print.indices, values: print.values, uploadedAt };
}

function denseOf(update: SparseUpdate): Float32Array {
  const dense = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < update.indices.length; i++) dense[update.indices[i] as number] = update.values[i] as number;
  return dense;
}

const T = 1_000_000;

describe('copy detection', () => {
  it('passes honest peers however much their gradients agree', async () => {
    // From a third of every gradient in common to nine tenths: the consensus takes the common part out.
    for (const shared of [1 / 3, 0.9]) {
      const grads = peerGradients(8, shared, 1);
      const uploads = await Promise.all(grads.map((g, uid) => upload(uid, g, T + uid * 5000)));
      const found = detectCopies(uploads, settings);
      expect([...found.copies.keys()]).toEqual([]);
      expect(found.ties).toEqual([]);
      expect(found.explained.get(0)).toBe(0); // the first has nothing before it
      for (const uid of [1, 2, 3, 4, 5, 6, 7]) expect(found.explained.get(uid)).toBeLessThan(settings.explainedThreshold / 2);
    }
  });

  it('catches the transformations of another peer’s update, and never blames the victim', async () => {
    const [a, b, c] = peerGradients(3, 1 / 4, 2) as [Float32Array, Float32Array, Float32Array];
    const victim = await upload(1, a, T);
    const other = await upload(2, b, T + 3000);
    const honestLater = await upload(3, c, T + 60_000);
    const victimDense = denseOf(victim);
    const random = seededRandom(3);
    // Each copier reads the victim's (and the other peer's) decoded update and uploads, 10 s later, a transform of it:
    const copies: Record<string, Float32Array> = {
      // the same update re-encoded (re-quantized through the codec)
      requantized: victimDense,
      // scaled up (the clip to the median norm would undo it, but it is still a copy)
      scaled: victimDense.map((v) => 3 * v),
      // a subset: about half of its coordinates, re-encoded
      resparsified: victimDense.map((v) => (Math.abs(v) > 0 && random() < 0.5 ? v : 0)),
      // noise of half its norm added on its coordinates and elsewhere
      noisy: victimDense.map((v) => v + (random() < 0.02 || v !== 0 ? 0.5 * rms(victimDense) * standardNormal(random) : 0)),
      // mixed from two peers
      mixed: victimDense.map((v, i) => 0.5 * v + 0.5 * (denseOf(other)[i] as number)),
    };
    for (const [kind, dense] of Object.entries(copies)) {
      const copier = await upload(9, dense, T + 10_000);
      const found = detectCopies([victim, other, honestLater, copier], settings);
      expect([kind, [...found.copies.keys()]]).toEqual([kind, [9]]);
      const finding = found.copies.get(9)!;
      // Its sources: the victim first (the mix, either of its two; with so few uploads the consensus of the
      // others can already hold the second).
      if (kind === 'mixed') for (const uid of finding.copiedFrom) expect([1, 2]).toContain(uid);
      else expect([kind, finding.copiedFrom[0]]).toEqual([kind, 1]);
      expect(finding.explained).toBeGreaterThanOrEqual(settings.explainedThreshold);
      // The victim and the honest peers are explained by nothing much, the copier included.
      expect(found.explained.get(1)).toBe(0);
      expect(found.explained.get(3)).toBeLessThan(settings.explainedThreshold / 2);
    }
  });

  it('blames nobody when the copy and its source landed in the same second', async () => {
    const [a, b] = peerGradients(2, 1 / 4, 4) as [Float32Array, Float32Array];
    const victim = await upload(4, a, 200_000);
    const bystander = await upload(5, b, 150_000);
    const copier = await upload(7, denseOf(victim).map((v) => 2 * v), 200_000);
    const same = detectCopies([copier, victim, bystander], settings);
    expect([...same.copies]).toEqual([]);
    expect(same.ties.map((t) => [t.uid, t.with])).toEqual([
      [7, [4]],
      [4, [7]],
    ]);
    // A second apart is within whole-second dates: either may have landed first.
    expect([...detectCopies([victim, bystander, { ...copier, uploadedAt: 201_000 }], settings).copies]).toEqual([]);
    // Beyond it, the later one is the copier, and only it.
    const ordered = detectCopies([victim, bystander, { ...copier, uploadedAt: 201_001 }], settings);
    expect([...ordered.copies.keys()]).toEqual([7]);
    expect(ordered.copies.get(7)?.copiedFrom).toEqual([4]);
    expect(ordered.copies.get(7)?.explained).toBeCloseTo(1, 9);
  });

  it('with only two uploads nothing can be told apart, and nobody is flagged', async () => {
    const [a] = peerGradients(1, 0, 4) as [Float32Array];
    const victim = await upload(4, a, 200_000);
    const copier = await upload(7, denseOf(victim), 260_000);
    const found = detectCopies([victim, copier], settings);
    expect([...found.copies]).toEqual([]);
    expect(found.ties).toEqual([]);
  });

  it('a copy drowned in noise is mostly noise: not flagged, and explained as much as the copy it holds', async () => {
    const [a, b] = peerGradients(2, 0, 5) as [Float32Array, Float32Array];
    const victim = await upload(1, a, T);
    const bystander = await upload(3, b, T - 5000);
    const random = seededRandom(6);
    const scale = 2 * rms(denseOf(victim));
    const drowned = await upload(2, denseOf(victim).map((v) => (v !== 0 ? v + scale * standardNormal(random) : 0)), T + 5000);
    const found = detectCopies([victim, bystander, drowned], settings);
    expect([...found.copies]).toEqual([]);
    // Its victim's update is about 1 / (1 + 2²) of its energy on these coordinates.
    expect(found.explained.get(2)).toBeGreaterThan(0.1);
    expect(found.explained.get(2)).toBeLessThan(0.35);
  });
});

/** Root mean square of the nonzero values. */
function rms(dense: Float32Array): number {
  let sum = 0;
  let n = 0;
  for (const v of dense) {
    if (v === 0) continue;
    sum += v * v;
    n++;
  }
  return Math.sqrt(sum / Math.max(1, n));
}

describe('copy detection, small cases', () => {
  it('a bystander with no coordinate in common with the copy does not hide it', () => {
    const victim: SparseUpdate = { uid: 0, indices: [1, 4, 9], values: [0.5, -1, 2], uploadedAt: T };
    const bystander: SparseUpdate = { uid: 2, indices: [20, 30], values: [1, 1], uploadedAt: T };
    const copier: SparseUpdate = { uid: 1, indices: [1, 4, 9], values: [0.5, -1, 2], uploadedAt: T + 5000 };
    const found = detectCopies([victim, bystander, copier], settings);
    expect([...found.copies]).toEqual([[1, { copiedFrom: [0], explained: 1 }]]);
    expect(found.explained.get(2)).toBe(0);
  });
});
