/**
 * Copy detection from what an update is made of, not from how it looks.
 *
 * Peers training the same model in the same window send updates that share
 * a common part (the gradient every peer's data agrees on) and differ in
 * their own part (their own batches). A peer that did not train has only
 * other peers' updates to offer, and it can only have read those after they
 * landed. Whatever it does to them (re-upload, keep a subset of the
 * coordinates, scale, re-quantize, add noise, mix two of them), what it
 * sends then carries their own parts. So each upload is regressed, on its
 * own kept coordinates, on at most `maxSources` uploads that certainly
 * landed before it and on the window's consensus (the mean of the other
 * uploads): the share of what the consensus leaves unexplained that those
 * uploads explain is its `explained` figure. An honest update's own part is
 * explained by no other peer's; at `explainedThreshold` or more, the upload
 * is a copy of them. Taking the consensus out first keeps honest peers
 * apart however much their gradients agree.
 *
 * Only earlier uploads can be sources, so a victim is never explained by its
 * copier. Storage dates have a resolution (HTTP dates are whole seconds), and
 * two uploads closer than `orderToleranceMs` may have landed in either order:
 * an upload that only uploads within that tolerance explain is a tie, and
 * nobody is blamed for it (its copier, if any, trained on nobody's assigned
 * data, which the loss check sees). A copy diluted with enough noise to pass
 * is mostly noise: the clip to the median norm and the loss check grade what
 * is left of it. With two uploads in a window the consensus is the other
 * upload, and nothing can be told apart: nobody is flagged.
 */

/** An update as the detector sees it: its kept coordinates and their values. */
export interface SparseUpdate {
  uid: number;
  /** Global flat indices of the kept coordinates, sorted and unique. */
  indices: ArrayLike<number>;
  /** The decoded value at each of those indices. */
  values: ArrayLike<number>;
  /** When the object landed in storage (epoch ms). */
  uploadedAt: number;
}

export interface CopyDetectionSettings {
  /** Share of an update's energy that earlier uploads explain, at or above which it is a copy of them. */
  explainedThreshold: number;
  /** Uploads whose storage dates are this close (ms) cannot be ordered. */
  orderToleranceMs: number;
  /** At most this many uploads are combined to explain one (a mix of two peers needs two). */
  maxSources: number;
}

export interface CopyFinding {
  /** The uploads it is made of, the largest share first. */
  copiedFrom: number[];
  /** The share of its energy they explain, in [0, 1]. */
  explained: number;
}

export interface CopyDetection {
  /** The copies, by uid. */
  copies: Map<number, CopyFinding>;
  /** Uploads made of others that landed too close to them to be ordered: nobody is blamed by dates (tie-breaker.ts). */
  ties: Array<{ uid: number; with: number[]; explained: number }>;
  /** Each upload's share explained by the uploads certainly before it, beyond the consensus (0 for the first): the window's honest baseline, for the log. */
  explained: Map<number, number>;
}

export function detectCopies(uploads: readonly SparseUpdate[], settings: CopyDetectionSettings): CopyDetection {
  const copies = new Map<number, CopyFinding>();
  const ties: CopyDetection['ties'] = [];
  const explained = new Map<number, number>();
  for (const upload of uploads) {
    const others = uploads.filter((other) => other !== upload);
    const system = restrictedGram(upload, others);
    // Uploads that may have landed before it; of those, the ones that certainly did.
    const possible = new Set<number>();
    const earlier = new Set<number>();
    others.forEach((other, i) => {
      if (other.uploadedAt <= upload.uploadedAt + settings.orderToleranceMs) possible.add(i);
      if (other.uploadedAt < upload.uploadedAt - settings.orderToleranceMs) earlier.add(i);
    });
    const byEarlier = explainBeyondConsensus(system, earlier, settings.maxSources);
    explained.set(upload.uid, byEarlier.explained);
    const uidsOf = (sources: number[]) => sources.map((i) => (others[i] as SparseUpdate).uid);
    if (byEarlier.explained >= settings.explainedThreshold) {
      copies.set(upload.uid, { copiedFrom: uidsOf(byEarlier.sources), explained: byEarlier.explained });
      continue;
    }
    if (possible.size === earlier.size) continue;
    const byPossible = explainBeyondConsensus(system, possible, settings.maxSources);
    if (byPossible.explained >= settings.explainedThreshold) ties.push({ uid: upload.uid, with: uidsOf(byPossible.sources), explained: byPossible.explained });
  }
  return { copies, ties, explained };
}

/**
 * The least-squares system of `target` on `sources`, on the target's own
 * coordinates: the sources' Gram matrix G (m × m, row-major), their inner
 * products with the target b, and the target's energy. A source's values
 * on other coordinates do not count: a copy that kept a subset of its
 * source's coordinates is explained in full.
 */
interface RestrictedGram {
  m: number;
  gram: Float64Array;
  dot: Float64Array;
  energy: number;
}

/** Target coordinates aligned per pass: bounds the memory at m × this many floats for updates of any size. */
const BLOCK = 1 << 16;

function restrictedGram(target: SparseUpdate, sources: readonly SparseUpdate[]): RestrictedGram {
  const m = sources.length;
  const gram = new Float64Array(m * m);
  const dot = new Float64Array(m);
  let energy = 0;
  const n = target.indices.length;
  for (let i = 0; i < n; i++) energy += (target.values[i] as number) ** 2;
  const aligned = Array.from({ length: m }, () => new Float64Array(Math.min(BLOCK, n)));
  const cursor = new Array<number>(m).fill(0);
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const last = target.indices[end - 1] as number;
    const touched: number[] = [];
    for (let s = 0; s < m; s++) {
      const src = sources[s] as SparseUpdate;
      const row = aligned[s] as Float64Array;
      row.fill(0);
      let j = cursor[s] as number;
      let p = start;
      let any = false;
      // A merge of two sorted index lists: the source's values where the target kept a coordinate.
      while (j < src.indices.length && p < end) {
        const a = src.indices[j] as number;
        const t = target.indices[p] as number;
        if (a === t) {
          row[p - start] = src.values[j] as number;
          any = true;
          j++;
          p++;
        } else if (a < t) j++;
        else p++;
      }
      while (j < src.indices.length && (src.indices[j] as number) <= last) j++;
      cursor[s] = j;
      if (any) touched.push(s);
    }
    for (const s of touched) {
      const row = aligned[s] as Float64Array;
      let d = 0;
      for (let p = start; p < end; p++) d += (target.values[p] as number) * (row[p - start] as number);
      dot[s] = (dot[s] as number) + d;
      for (const r of touched) {
        if (r < s) continue;
        const other = aligned[r] as Float64Array;
        let g = 0;
        for (let q = 0; q < end - start; q++) g += (row[q] as number) * (other[q] as number);
        gram[s * m + r] = (gram[s * m + r] as number) + g;
        if (r !== s) gram[r * m + s] = gram[s * m + r] as number;
      }
    }
  }
  return { m, gram, dot, energy };
}

/** A source is named only when it adds this much to the share explained: the ones that add less are chance. */
const MIN_GAIN = 0.05;

/** Below this share left unexplained by the consensus, what is left is rounding, and nothing can be told apart. */
const NOTHING_LEFT = 1e-6;

/**
 * Forward selection: adds, one at a time, the allowed source that explains
 * the most of the target beyond the consensus (at least `MIN_GAIN` more),
 * up to `maxSources`. The
 * consensus is the mean of the sources not chosen (a source's own part must
 * not count as common), and the figure is the partial share: of what that
 * consensus leaves unexplained, the share the chosen sources explain,
 * (R²(T ∪ consensus) − R²(consensus)) / (1 − R²(consensus)).
 */
function explainBeyondConsensus(system: RestrictedGram, allowed: ReadonlySet<number>, maxSources: number): { sources: number[]; explained: number } {
  const chosen: number[] = [];
  let explained = 0;
  if (!(system.energy > 0)) return { sources: chosen, explained };
  while (chosen.length < maxSources) {
    let best = -1;
    let bestShare = explained;
    for (const s of allowed) {
      if (chosen.includes(s)) continue;
      const share = partialShare(system, [...chosen, s]);
      if (share > bestShare) {
        best = s;
        bestShare = share;
      }
    }
    if (best < 0 || bestShare < explained + MIN_GAIN) break;
    chosen.push(best);
    explained = bestShare;
  }
  return { sources: chosen, explained: Math.min(1, explained) };
}

/** What `sources` explain of the target beyond the mean of the other sources in the system. */
function partialShare(system: RestrictedGram, sources: readonly number[]): number {
  const rest: number[] = [];
  for (let r = 0; r < system.m; r++) if (!sources.includes(r)) rest.push(r);
  if (rest.length === 0) return 0; // no consensus to take out: nothing can be told apart
  const base = fitShare(smallSystem(system, [], rest));
  const left = 1 - base;
  if (!(left > NOTHING_LEFT)) return 0;
  return Math.max(0, (fitShare(smallSystem(system, sources, rest)) - base) / left);
}

/** The normal equations of the target on `sources`, plus the mean of `consensusOf` as one more regressor. */
function smallSystem(system: RestrictedGram, sources: readonly number[], consensusOf: readonly number[]): { gram: number[][]; dot: number[]; energy: number } {
  const { m } = system;
  const g = (r: number, c: number) => system.gram[r * m + c] as number;
  const n = consensusOf.length;
  // ⟨m, c_s⟩ = Σ_r G_rs / n, ⟨m, m⟩ = Σ_rq G_rq / n², ⟨m, u⟩ = Σ_r b_r / n: from the sources' own products.
  const withConsensus = sources.map((s) => consensusOf.reduce((sum, r) => sum + g(r, s), 0) / n);
  let all = 0;
  for (const r of consensusOf) for (const q of consensusOf) all += g(r, q);
  const gram = [...sources.map((r, i) => [...sources.map((c) => g(r, c)), withConsensus[i] as number]), [...withConsensus, all / (n * n)]];
  const dot = [...sources.map((r) => system.dot[r] as number), consensusOf.reduce((sum, r) => sum + (system.dot[r] as number), 0) / n];
  return { gram, dot, energy: system.energy };
}

/**
 * bᵀ G⁻¹ b / energy. G is a Gram matrix (symmetric, positive semi-definite),
 * so elimination needs no pivoting, and a pivot that comes out (nearly) zero
 * means a regressor with no direction of its own (no energy on the target's
 * coordinates, or a combination of the others): its row and column of what
 * is left are then zero as well, and it is left out (coefficient 0).
 */
function fitShare(system: { gram: number[][]; dot: number[]; energy: number }): number {
  const k = system.dot.length;
  if (k === 0 || !(system.energy > 0)) return 0;
  const a = system.gram.map((row, r) => [...row, system.dot[r] as number]);
  const largest = Math.max(...system.gram.map((row, r) => Math.abs(row[r] as number)));
  const skipped = new Array<boolean>(k).fill(false);
  for (let col = 0; col < k; col++) {
    const top = a[col] as number[];
    if (!((top[col] as number) > 1e-10 * largest)) {
      skipped[col] = true;
      continue;
    }
    for (let r = col + 1; r < k; r++) {
      const row = a[r] as number[];
      const f = (row[col] as number) / (top[col] as number);
      for (let c = col; c <= k; c++) row[c] = (row[c] as number) - f * (top[c] as number);
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    if (skipped[r]) continue;
    const row = a[r] as number[];
    let v = row[k] as number;
    for (let c = r + 1; c < k; c++) v -= (row[c] as number) * (x[c] as number);
    x[r] = v / (row[r] as number);
  }
  let fit = 0;
  for (let r = 0; r < k; r++) fit += (system.dot[r] as number) * (x[r] as number);
  return Math.min(1, Math.max(0, fit / system.energy));
}
