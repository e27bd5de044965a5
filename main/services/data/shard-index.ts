import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../../platform/atomic-file';

/**
 * What the shard cache knows about its files, in `shard-index.json` in its
 * folder: a file whose size and modification time are as recorded was hashed
 * and matched, so it is trusted without reading it again; when each was last
 * used, for evicting the least recently used first.
 */
export const SHARD_INDEX_FILE = 'shard-index.json';

const IndexEntry = z
  .object({
    bytes: z.number().int().min(0),
    mtimeMs: z.number(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    lastUsedMs: z.number(),
  })
  .strict();
export type ShardIndexEntry = z.infer<typeof IndexEntry>;

const IndexFile = z.object({ version: z.literal(1), shards: z.record(z.string(), IndexEntry) }).strict();

export class ShardIndex {
  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, ShardIndexEntry>,
  ) {}

  /**
   * Reads the index of `dir`. A missing or unreadable one is an empty index:
   * nothing is lost, the files it named are hashed again. `onBadIndex` hears why.
   */
  static async load(dir: string, onBadIndex: (reason: string) => void): Promise<ShardIndex> {
    const file = path.join(dir, SHARD_INDEX_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new ShardIndex(file, new Map());
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      onBadIndex(`${file} is not valid JSON (${(error as Error).message})`);
      return new ShardIndex(file, new Map());
    }
    const parsed = IndexFile.safeParse(raw);
    if (!parsed.success) {
      onBadIndex(`${file} is not a shard index (${parsed.error.issues[0]?.message ?? 'unknown shape'})`);
      return new ShardIndex(file, new Map());
    }
    return new ShardIndex(file, new Map(Object.entries(parsed.data.shards)));
  }

  get(name: string): ShardIndexEntry | undefined {
    return this.entries.get(name);
  }

  set(name: string, entry: ShardIndexEntry): void {
    this.entries.set(name, entry);
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  touch(name: string, at: number): void {
    const entry = this.entries.get(name);
    if (entry) entry.lastUsedMs = at;
  }

  /** Atomically (temp file, fsync, rename): a crash leaves the old index or the new one. */
  async save(): Promise<void> {
    const shards = Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    await writeFileAtomically(this.file, `${JSON.stringify({ version: 1, shards }, null, 2)}\n`);
  }
}
