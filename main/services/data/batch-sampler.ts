/**
 * TypeScript twin of the trainer's deterministic batch sampler
 * (native/trainer/DATA.md, "Sampler"), so a validator can recompute which
 * sequences a peer was assigned for (peer id, window) without the binary.
 * 64-bit arithmetic uses BigInt; results match the C++ bit for bit.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** FNV-1a, 64 bit, over bytes. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = FNV_OFFSET;
  for (const b of bytes) {
    hash ^= BigInt(b);
    hash = (hash * FNV_PRIME) & MASK64;
  }
  return hash;
}

/** The SplitMix64 output function. */
export function splitmix64Mix(state: bigint): bigint {
  let z = state & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** Output number n (0-based) of the SplitMix64 stream seeded with `seed`. */
export function splitmix64At(seed: bigint, n: bigint): bigint {
  return splitmix64Mix((seed + (n + 1n) * GOLDEN_GAMMA) & MASK64);
}

export function samplerSeed(peerId: string, window: number): bigint {
  return fnv1a64(new TextEncoder().encode(`tandem-sampler-v1:${peerId}:${window}`));
}

export interface SamplePosition {
  shard: number;
  start: number;
}

/**
 * Positions of rows [0, batchSize) of inner step `step` for (peerId, window),
 * given the token counts of the train shards in sorted file-name order.
 */
export function batchPositions(
  shardTokenCounts: readonly number[],
  seqLen: number,
  peerId: string,
  window: number,
  step: number,
  batchSize: number,
): SamplePosition[] {
  const cumulative: bigint[] = [0n];
  let total = 0n;
  for (const n of shardTokenCounts) {
    total += n > seqLen ? BigInt(n - seqLen) : 0n;
    cumulative.push(total);
  }
  if (total === 0n) throw new Error(`no shard holds seq_len + 1 = ${seqLen + 1} tokens`);
  const seed = samplerSeed(peerId, window);
  const out: SamplePosition[] = [];
  for (let row = 0; row < batchSize; row += 1) {
    const j = BigInt(step) * BigInt(batchSize) + BigInt(row);
    const c = splitmix64At(seed, j) % total;
    let shard = 0;
    while (cumulative[shard + 1]! <= c) shard += 1;
    out.push({ shard, start: Number(c - cumulative[shard]!) });
  }
  return out;
}
