import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * What happened in one window on this machine. Written as the window goes, one
 * line per fact, so a crash loses at most the line being written.
 */
export const RoundRecord = z
  .object({
    window: z.number().int().nonnegative(),
    /** Epoch ms when this line was written. */
    at: z.number(),
    phase: z.enum(['joined', 'trained', 'uploaded', 'gathered', 'applied', 'scored', 'rewarded', 'missed']).optional(),
    /** Seconds spent per phase in this window, e.g. { training: 41.2, uploading: 1.3 }. */
    phaseSeconds: z.record(z.string(), z.number().nonnegative()).optional(),
    /** With `gathered`: seconds with a download in flight (the transfer, not the wait for uploads). */
    transferSeconds: z.number().nonnegative().optional(),
    bytesUp: z.number().int().nonnegative().optional(),
    bytesDown: z.number().int().nonnegative().optional(),
    loss: z.number().optional(),
    /** With `trained`: the trainer's largest resident memory over the window's inner steps (host memory; a GPU's own is not in it). */
    memoryBytes: z.number().int().nonnegative().optional(),
    score: z.number().optional(),
    /** This peer's weight (incentive, 0–1) at the epoch that paid the window. */
    weight: z.number().min(0).max(1).optional(),
    /** Reward in the chain's smallest unit, as a decimal string (bigint-safe). */
    reward: z.string().regex(/^\d+$/).optional(),
    /** Why a window earned nothing or was missed, in words. */
    reason: z.string().max(500).optional(),
    /** With `applied`: the digest of the model after the outer step (equal on peers that hold the same model). */
    modelDigest: z.string().regex(/^[0-9a-f]{1,64}$/).optional(),
    /** Energy this machine drew during the window, in watt-hours, and what measured it. */
    energyWh: z.number().nonnegative().optional(),
    energySource: z.enum(['gpu', 'cpu', 'gpu+cpu', 'setting']).optional(),
  })
  .strict();
export type RoundRecord = z.infer<typeof RoundRecord>;

/** All lines of one window folded together (later lines win, phase seconds add up). */
export interface RoundSummary {
  window: number;
  phases: string[];
  phaseSeconds: Record<string, number>;
  /** Seconds the window's gathers spent downloading (see RoundRecord). */
  transferSeconds?: number;
  bytesUp: number;
  bytesDown: number;
  loss?: number;
  /** The largest of the window's `memoryBytes`. */
  memoryBytes?: number;
  score?: number;
  weight?: number;
  reward?: string;
  reason?: string;
  modelDigest?: string;
  energyWh?: number;
  energySource?: 'gpu' | 'cpu' | 'gpu+cpu' | 'setting';
  firstAt: number;
  lastAt: number;
}

export interface LedgerReadResult {
  records: RoundRecord[];
  /** Lines that could not be read (a torn last line after a crash, or damage); never fatal. */
  skipped: Array<{ line: number; reason: string }>;
}

/**
 * An append-only NDJSON file. Each append is one write of one whole line
 * followed by fsync; readers skip a torn final line instead of failing, so
 * the ledger survives a crash at any instant.
 */
export class RoundLedger {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async append(record: RoundRecord): Promise<void> {
    const checked = RoundRecord.parse(record);
    const line = `${JSON.stringify(checked)}\n`;
    // Appends are serialised so concurrent callers never interleave bytes.
    const next = this.queue.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const handle = await fs.open(this.file, 'a+', 0o600);
      try {
        await this.repairTornTail(handle);
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    this.queue = next.catch(() => {});
    await next;
  }

  async read(): Promise<LedgerReadResult> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: [] };
      throw error;
    }
    const records: RoundRecord[] = [];
    const skipped: LedgerReadResult['skipped'] = [];
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        records.push(RoundRecord.parse(JSON.parse(line)));
      } catch (error) {
        skipped.push({ line: index + 1, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
      }
    });
    return { records, skipped };
  }

  async summaries(): Promise<RoundSummary[]> {
    return summarize((await this.read()).records);
  }

  /** A crash can leave a last line without its newline; start the next line on a fresh one. */
  private async repairTornTail(handle: fs.FileHandle): Promise<void> {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n');
  }
}

export function summarize(records: readonly RoundRecord[]): RoundSummary[] {
  const byWindow = new Map<number, RoundSummary>();
  for (const r of records) {
    let s = byWindow.get(r.window);
    if (!s) {
      s = { window: r.window, phases: [], phaseSeconds: {}, bytesUp: 0, bytesDown: 0, firstAt: r.at, lastAt: r.at };
      byWindow.set(r.window, s);
    }
    if (r.phase && !s.phases.includes(r.phase)) s.phases.push(r.phase);
    for (const [phase, seconds] of Object.entries(r.phaseSeconds ?? {})) s.phaseSeconds[phase] = (s.phaseSeconds[phase] ?? 0) + seconds;
    if (r.transferSeconds !== undefined) s.transferSeconds = (s.transferSeconds ?? 0) + r.transferSeconds;
    s.bytesUp += r.bytesUp ?? 0;
    s.bytesDown += r.bytesDown ?? 0;
    if (r.energyWh !== undefined) s.energyWh = (s.energyWh ?? 0) + r.energyWh;
    if (r.energySource !== undefined) s.energySource = r.energySource;
    if (r.loss !== undefined) s.loss = r.loss;
    if (r.memoryBytes !== undefined) s.memoryBytes = Math.max(s.memoryBytes ?? 0, r.memoryBytes);
    if (r.score !== undefined) s.score = r.score;
    if (r.weight !== undefined) s.weight = r.weight;
    if (r.reward !== undefined) s.reward = r.reward;
    if (r.reason !== undefined) s.reason = r.reason;
    if (r.modelDigest !== undefined) s.modelDigest = r.modelDigest;
    s.firstAt = Math.min(s.firstAt, r.at);
    s.lastAt = Math.max(s.lastAt, r.at);
  }
  return [...byWindow.values()].sort((a, b) => a.window - b.window);
}
