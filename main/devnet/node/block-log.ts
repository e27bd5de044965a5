import fs from 'node:fs/promises';
import path from 'node:path';
import { hexToU8a, u8aToHex } from '@polkadot/util';

/** What the node keeps of every block it made, for as long as the chain lives. */
export interface BlockRecord {
  hash: string;
  /** Timestamp.Now of the block, epoch ms. */
  timestamp: number;
  extrinsicsRoot: string;
}

const RECORD_BYTES = 32 + 8 + 32;

/**
 * Every block's hash, time and extrinsics root, in an append-only binary file
 * beside the state (72 bytes a block, record n at offset 72·n). It lets the
 * node answer chain_getBlockHash, chain_getHeader and Timestamp.Now for any
 * block it ever made, as a real node keeps headers after it prunes state.
 * Each append is synced before the state that counts the block is written,
 * so after a crash the log is never shorter than the state says.
 */
export class BlockLog {
  private data: Buffer;
  private count: number;
  private readonly recent = new Map<string, number>();

  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
    data: Buffer,
  ) {
    this.data = data;
    this.count = data.length / RECORD_BYTES;
    for (let n = Math.max(0, this.count - RECENT_INDEX); n < this.count; n++) this.recent.set(this.hashOf(n) as string, n);
  }

  /**
   * Opens the log of a chain whose state counts `blocks` blocks (0..head).
   * Records past that (a crash between the log and the state write) are cut off;
   * fewer records than the state counts is damage, and an error.
   */
  static async open(file: string, blocks: number): Promise<BlockLog> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'a+');
    try {
      const stat = await handle.stat();
      const whole = Math.floor(stat.size / RECORD_BYTES);
      if (whole < blocks) throw new Error(`the devnet block log ${file} holds ${whole} blocks but the chain state counts ${blocks}; the chain's files do not belong together (move both away to start a new chain)`);
      if (stat.size !== blocks * RECORD_BYTES) await handle.truncate(blocks * RECORD_BYTES);
      const data = Buffer.alloc(blocks * RECORD_BYTES);
      if (blocks > 0) await handle.read(data, 0, data.length, 0);
      return new BlockLog(file, handle, data);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** How many blocks are recorded (the head is count - 1). */
  get length(): number {
    return this.count;
  }

  get path(): string {
    return this.file;
  }

  async append(record: BlockRecord): Promise<void> {
    const bytes = Buffer.alloc(RECORD_BYTES);
    bytes.set(hexToU8a(record.hash), 0);
    bytes.writeBigUInt64LE(BigInt(record.timestamp), 32);
    bytes.set(hexToU8a(record.extrinsicsRoot), 40);
    await this.handle.write(bytes, 0, RECORD_BYTES, this.count * RECORD_BYTES);
    await this.handle.datasync();
    if (this.data.length < (this.count + 1) * RECORD_BYTES) {
      const grown = Buffer.alloc(Math.max(RECORD_BYTES * 1024, this.data.length * 2));
      this.data.copy(grown, 0, 0, this.count * RECORD_BYTES);
      this.data = grown;
    }
    bytes.copy(this.data, this.count * RECORD_BYTES);
    this.recent.set(record.hash, this.count);
    if (this.recent.size > RECENT_INDEX) this.recent.delete(this.recent.keys().next().value as string);
    this.count += 1;
  }

  get(n: number): BlockRecord | null {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.count) return null;
    const at = n * RECORD_BYTES;
    return {
      hash: u8aToHex(this.data.subarray(at, at + 32)),
      timestamp: Number(this.data.readBigUInt64LE(at + 32)),
      extrinsicsRoot: u8aToHex(this.data.subarray(at + 40, at + 72)),
    };
  }

  hashOf(n: number): string | null {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.count) return null;
    return u8aToHex(this.data.subarray(n * RECORD_BYTES, n * RECORD_BYTES + 32));
  }

  /** The number of the block with this hash, or null when this chain has none. */
  numberOf(hash: string): number | null {
    const known = this.recent.get(hash.toLowerCase());
    if (known !== undefined) return known;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return null;
    // Older blocks: scan the records for the hash at a record boundary.
    const needle = Buffer.from(hexToU8a(hash));
    const used = this.data.subarray(0, this.count * RECORD_BYTES);
    for (let at = used.indexOf(needle); at !== -1; at = used.indexOf(needle, at + 1)) {
      if (at % RECORD_BYTES === 0) return at / RECORD_BYTES;
    }
    return null;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** How many of the latest blocks are found by hash without a scan. */
const RECENT_INDEX = 4096;
