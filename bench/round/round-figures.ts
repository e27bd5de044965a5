import type { RoundRecord } from '../../main/services/earnings/round-ledger';

/** One round as the benchmark reports it, all in seconds. */
export interface RoundFigures {
  window: number;
  /** From the start of this window's training to the start of the next one's. */
  wall: number;
  /** Inner-step time inside that span (the trainer's window: inner steps, compression, the payload written). */
  compute: number;
  /** Outer-step time inside that span: decoding and aggregating the gathered updates and applying them. */
  outerStep: number;
  /** Upload plus gather of this window's updates, overlapped or not. */
  communication: number;
  /** Idle time spent ready but waiting for the chain's next window to start. */
  windowSlack: number;
  /** Idle time that is neither compute, outer step nor window slack: communication the trainer waited for. */
  exposedCommunication: number;
  /** Whether this window's work counted: the ledger does not show it missed (a late upload, a failed step). */
  counted: boolean;
  /**
   * The chain's window: from its start to the next window's start, when both
   * are known. A peer that runs behind the chain (joined mid-window) starts
   * each window as soon as the last one is done, so its spans are shorter
   * than the chain's until it has caught up; over a run its windows cannot
   * come faster than the chain's.
   */
  chainWindow: number | null;
}

interface Interval {
  start: number;
  end: number;
}

const overlap = (a: Interval, b: Interval) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/**
 * Folds one peer's ledger (and when each window started on the chain) into
 * per-round figures. Busy intervals come from the ledger's `trained` (inner
 * steps) and `applied` (outer step) lines, each written when its phase ended,
 * with its length. Only inner steps count as compute: the outer step is work
 * the round adds, like communication, and a GPU owner is paid for neither.
 */
export function roundFigures(records: readonly RoundRecord[], windowStartedAt: ReadonlyMap<number, number>): RoundFigures[] {
  const compute: Interval[] = [];
  const outer: Interval[] = [];
  const trainStart = new Map<number, number>();
  const comm = new Map<number, number>();
  const missed = new Set<number>();
  for (const r of records) {
    if (r.phase === 'missed') missed.add(r.window);
    const seconds = r.phaseSeconds ?? {};
    if (r.phase === 'trained' && seconds.training !== undefined) {
      compute.push({ start: r.at - seconds.training * 1000, end: r.at });
      trainStart.set(r.window, r.at - seconds.training * 1000);
    }
    if (r.phase === 'applied' && seconds.applying !== undefined) outer.push({ start: r.at - seconds.applying * 1000, end: r.at });
    const c = (seconds.uploading ?? 0) + (seconds.gathering ?? 0);
    if (c > 0) comm.set(r.window, (comm.get(r.window) ?? 0) + c);
  }
  const busyIntervals = [...compute, ...outer];
  const figures: RoundFigures[] = [];
  for (const [window, start] of [...trainStart].sort((a, b) => a[0] - b[0])) {
    const next = trainStart.get(window + 1);
    if (next === undefined) continue;
    const span = { start, end: next };
    const busy = compute.reduce((sum, i) => sum + overlap(i, span), 0);
    const outerBusy = outer.reduce((sum, i) => sum + overlap(i, span), 0);
    const readyAt = Math.max(start, ...busyIntervals.filter((i) => i.end <= next).map((i) => i.end));
    const opens = windowStartedAt.get(window + 1) ?? readyAt;
    const slack = Math.max(0, Math.min(next, opens) - readyAt);
    const wall = next - start;
    figures.push({
      window,
      wall: wall / 1000,
      compute: busy / 1000,
      outerStep: outerBusy / 1000,
      communication: comm.get(window) ?? 0,
      windowSlack: slack / 1000,
      exposedCommunication: Math.max(0, wall - busy - outerBusy - slack) / 1000,
      counted: !missed.has(window),
      chainWindow: windowStartedAt.has(window) && windowStartedAt.has(window + 1) ? (windowStartedAt.get(window + 1)! - windowStartedAt.get(window)!) / 1000 : null,
    });
  }
  return figures;
}

/**
 * Compute / wall over the rounds. Only the compute of windows whose work
 * counted is useful: a window missed (its upload late, its step failed) was
 * paid for in wall time and earns nothing. The wall is the chain's windows
 * where known: a peer catching up with the chain fits its windows closer
 * together for a while, which a run cannot keep up.
 */
export function utilization(figures: readonly RoundFigures[]): { raw: number; withoutSlack: number } {
  const sum = (f: (r: RoundFigures) => number) => figures.reduce((s, r) => s + f(r), 0);
  const compute = sum((r) => (r.counted ? r.compute : 0));
  // Without slack: what the schedule leaves once the devnet's idle window tail is taken out (outer step and exposed communication stay in).
  return { raw: compute / sum((r) => Math.max(r.wall, r.chainWindow ?? r.wall)), withoutSlack: compute / sum((r) => r.wall - r.windowSlack) };
}
