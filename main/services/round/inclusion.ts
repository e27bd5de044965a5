import type { ChainBlock } from '../../ports/chain-port';
import type { RunManifest } from '../../ports/run-manifest';
import { windowOf } from './window-clock';
import type { StorageObject } from '../../ports/storage-port';

/**
 * Which updates count for a window, decided the same way by every peer and
 * validator (as Templar does it): an update counts iff its object's storage
 * timestamp (`lastModified`: set by the storage server, S3 LastModified or the
 * file's mtime, never by the uploader) is no later than the window's upload
 * deadline. When a gatherer happened to look plays no part, so two honest
 * gatherers that both see the object (and both wait out the deadline for
 * one they do not see yet) aggregate the same set and stay on one model.
 */

type WindowTiming = RunManifest['windows'];

/**
 * How long past the deadline a gatherer still looks for a missing object:
 * an object written just before the deadline may take a moment to become
 * visible (S3 listing, a slow rename), and it counts all the same.
 */
export const INCLUSION_SETTLE_MS = 1000;

export type InclusionVerdict = { counts: true } | { counts: false; outcome: 'late' | 'missing' | 'failed'; reason: string };

/** The settle margin for a run: a block's time, at most INCLUSION_SETTLE_MS (short test windows stay short). */
export function settleMargin(timing: Pick<WindowTiming, 'blockSeconds'>): number {
  return Math.min(INCLUSION_SETTLE_MS, timing.blockSeconds * 1000);
}

/** The rule itself: `object` is what storage says about the update (null: not there). */
export function inclusionVerdict(object: Pick<StorageObject, 'lastModified'> | null, deadlineMs: number): InclusionVerdict {
  if (!object) return { counts: false, outcome: 'missing', reason: 'not uploaded by the deadline' };
  const at = object.lastModified.getTime();
  if (Number.isNaN(at)) return { counts: false, outcome: 'late', reason: 'storage gave no upload time' };
  if (at <= deadlineMs) return { counts: true };
  return { counts: false, outcome: 'late', reason: `uploaded ${((at - deadlineMs) / 1000).toFixed(3)} s after the deadline` };
}

/** Until when a gatherer keeps looking for an update that is not there yet. */
export function lookUntil(deadlineMs: number, settleMs = INCLUSION_SETTLE_MS): number {
  return deadlineMs + settleMs;
}

/**
 * Epoch ms at which window `window` starts, extrapolated from a chain block
 * (`anchor`) at the manifest's block time. With the window's own start block
 * as anchor it is that block's timestamp, which every node reads the same.
 */
export function windowStartsAt(window: number, timing: Pick<WindowTiming, 'blocksPerWindow' | 'blockSeconds'>, anchor: ChainBlock): number {
  return anchor.timestamp + (window * timing.blocksPerWindow - anchor.number) * timing.blockSeconds * 1000;
}

/** Epoch ms at which window `window` ends (the nominal length after its start). */
export function windowEndsAt(window: number, timing: Pick<WindowTiming, 'blocksPerWindow' | 'blockSeconds'>, anchor: ChainBlock): number {
  return windowStartsAt(window + 1, timing, anchor);
}

/** Window `window`'s upload deadline: its end plus the manifest's deadline and grace. */
export function uploadDeadline(window: number, timing: Pick<WindowTiming, 'blocksPerWindow' | 'blockSeconds' | 'uploadDeadlineSeconds' | 'uploadGraceSeconds'>, anchor: ChainBlock): number {
  return windowEndsAt(window, timing, anchor) + (timing.uploadDeadlineSeconds + timing.uploadGraceSeconds) * 1000;
}

/**
 * Remembers, per window, the first chain block seen in it, so a window's
 * times come from the chain (the same on every node that saw the window
 * start) and not from when this node's own window happened to end. A window
 * this node did not see start (it joined later, or is catching up) is
 * extrapolated from the nearest one it saw, unless its start block's time is
 * learnt from the chain (`learnStart`).
 */
export class WindowTimes {
  private readonly firstSeen = new Map<number, ChainBlock>();
  private latest: ChainBlock | null = null;

  constructor(
    private readonly timing: WindowTiming,
    private readonly keepWindows = 64,
  ) {}

  observe(block: ChainBlock): void {
    const { window } = windowOf(block.number, this.timing.blocksPerWindow);
    if (!this.firstSeen.has(window)) {
      this.firstSeen.set(window, block);
      for (const old of this.firstSeen.keys()) if (old <= window - this.keepWindows) this.firstSeen.delete(old);
    }
    if (!this.latest || block.number > this.latest.number) this.latest = block;
  }

  /** The first block of `window`. */
  startBlock(window: number): number {
    return window * this.timing.blocksPerWindow;
  }

  /** Whether window `window`'s times come from its own start block, exact on every node. */
  knowsStart(window: number): boolean {
    return this.firstSeen.get(window)?.number === this.startBlock(window);
  }

  /** The chain's time of window `window`'s start block, read by a node that did not see that block go by. */
  learnStart(window: number, timestamp: number): void {
    this.firstSeen.set(window, { number: this.startBlock(window), timestamp });
  }

  /** The block to extrapolate window `window`'s times from, or null before any block. */
  anchor(window: number): ChainBlock | null {
    const own = this.firstSeen.get(window);
    if (own) return own;
    let best: ChainBlock | null = null;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const [w, block] of this.firstSeen) {
      const distance = Math.abs(w - window);
      if (distance < bestDistance) {
        best = block;
        bestDistance = distance;
      }
    }
    return best ?? this.latest;
  }

  endsAt(window: number, fallback: number): number {
    const anchor = this.anchor(window);
    return anchor ? windowEndsAt(window, this.timing, anchor) : fallback;
  }

  uploadDeadline(window: number, fallback: number): number {
    const anchor = this.anchor(window);
    return anchor ? uploadDeadline(window, this.timing, anchor) : fallback;
  }
}
