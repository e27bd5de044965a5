import { Writable } from 'node:stream';
import { type LogLevel, type LogEntry } from '../../../contract';

const PINO_LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function levelAtLeast(level: LogLevel, min: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[min];
}

/**
 * The last N log lines in memory, for the UI's live tail. It is a pino
 * destination, so the UI sees exactly what goes to the file (already redacted).
 */
export class LogRing {
  private readonly entries: LogEntry[] = [];
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  private seq = 0;

  constructor(private readonly capacity = 2000) {}

  /** A writable stream that accepts pino's newline-delimited JSON. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) this.ingest(line);
        done();
      },
    });
  }

  tail(limit: number, minLevel?: LogLevel): LogEntry[] {
    const filtered = minLevel ? this.entries.filter((e) => levelAtLeast(e.level, minLevel)) : this.entries;
    return filtered.slice(-limit);
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private ingest(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      record = { level: 30, msg: line };
    }
    const entry: LogEntry = {
      seq: this.seq++,
      time: typeof record['time'] === 'number' ? record['time'] : Date.now(),
      level: PINO_LEVELS[Number(record['level'])] ?? 'info',
      source: typeof record['source'] === 'string' ? record['source'] : 'core',
      message: typeof record['msg'] === 'string' ? record['msg'] : '',
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const listener of this.listeners) listener(entry);
  }
}
