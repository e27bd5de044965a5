import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';

/**
 * What a peer must remember across a restart to rejoin the global model: the
 * window whose aggregate its trainer's checkpoint holds (the trainer writes
 * that checkpoint after every outer step, before this file is written), and
 * the uids whose updates it aggregated in recent windows, so that a window
 * replayed after a restart aggregates the same updates as the first time.
 */
const Stored = z
  .object({
    version: z.literal(1),
    /** Window of the last aggregate applied and checkpointed; null before the first. */
    lastApplied: z.number().int().nonnegative().nullable(),
    /** window -> uids aggregated, for the most recent windows. */
    aggregated: z.record(z.string().regex(/^\d+$/), z.array(z.number().int().nonnegative())),
  })
  .strict();

export class CatchUpState {
  private lastAppliedWindow: number | null = null;
  private readonly aggregated = new Map<number, number[]>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly keepWindows: number,
  ) {}

  /**
   * Reads the file; a missing one is a first start. A damaged one is named in
   * the error rather than read as empty: starting over silently would train
   * from a model the peer does not hold.
   */
  static async load(file: string, keepWindows: number): Promise<CatchUpState> {
    const state = new CatchUpState(file, keepWindows);
    const text = await readFileIfExists(file);
    if (text === undefined) return state;
    let parsed;
    try {
      parsed = Stored.safeParse(JSON.parse(text));
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); move it away to start this peer's catch-up afresh`, { cause: error });
    }
    if (!parsed.success) throw new Error(`${file} is not a catch-up state this app wrote (${parsed.error.issues[0]?.message ?? 'invalid'}); move it away to start afresh`);
    state.lastAppliedWindow = parsed.data.lastApplied;
    for (const [window, uids] of Object.entries(parsed.data.aggregated)) state.aggregated.set(Number(window), uids);
    return state;
  }

  get lastApplied(): number | null {
    return this.lastAppliedWindow;
  }

  /** The uids aggregated in `window`, when this peer gathered it before. */
  aggregatedIn(window: number): readonly number[] | undefined {
    return this.aggregated.get(window);
  }

  noteAggregated(window: number, uids: readonly number[]): Promise<void> {
    this.aggregated.set(window, [...uids].sort((a, b) => a - b));
    const oldest = [...this.aggregated.keys()].sort((a, b) => b - a).slice(this.keepWindows);
    for (const w of oldest) this.aggregated.delete(w);
    return this.persist();
  }

  /** Called once the trainer has applied and checkpointed `window`'s aggregate. */
  noteApplied(window: number): Promise<void> {
    if (this.lastAppliedWindow !== null && window <= this.lastAppliedWindow) return this.writes;
    this.lastAppliedWindow = window;
    return this.persist();
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, lastApplied: this.lastAppliedWindow, aggregated: Object.fromEntries([...this.aggregated].map(([w, u]) => [String(w), u])) });
    this.writes = this.writes.then(() => writeFileAtomically(this.file, `${snapshot}\n`));
    return this.writes;
  }
}
