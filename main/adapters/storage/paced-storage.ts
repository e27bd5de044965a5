import type { StorageCallOptions, StorageGetOptions, StorageObject, StoragePort } from '../../ports/storage-port';

export interface LinkCaps {
  /** Megabits per second; null: no cap. */
  uploadMbps: number | null;
  downloadMbps: number | null;
}

interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * One direction of the link: transfers queue for it, so several at once share
 * the cap instead of each getting all of it. A transfer of n bytes holds the
 * link for n·8 / (Mbps·10⁶) seconds after the one before it ends.
 */
class Pace {
  private freeAt = 0;

  constructor(
    private readonly mbps: number,
    private readonly clock: Clock,
  ) {}

  /** Waits until `bytes` could have crossed a link of this speed since the last transfer. */
  async pass(bytes: number, startedAt: number): Promise<void> {
    const start = Math.max(startedAt, this.freeAt);
    this.freeAt = start + (bytes * 8) / (this.mbps * 1000);
    const wait = this.freeAt - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
  }
}

/**
 * Keeps this machine's uploads and downloads under the caps the user set in
 * Settings, so training never saturates a home connection. It paces whole
 * objects (an update is sent, then the link is held for as long as the cap
 * says), which keeps the average rate at the cap without touching sockets.
 */
export class PacedStorage implements StoragePort {
  readonly name: string;
  private readonly up: Pace | null;
  private readonly down: Pace | null;

  constructor(
    private readonly inner: StoragePort,
    caps: LinkCaps,
    private readonly clock: Clock = realClock,
  ) {
    this.name = inner.name;
    this.up = caps.uploadMbps ? new Pace(caps.uploadMbps, clock) : null;
    this.down = caps.downloadMbps ? new Pace(caps.downloadMbps, clock) : null;
  }

  async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    const startedAt = this.clock.now();
    await this.inner.put(key, data, options);
    await this.up?.pass(data.byteLength, startedAt);
  }

  async get(key: string, options?: StorageGetOptions): Promise<Uint8Array | null> {
    const startedAt = this.clock.now();
    const bytes = await this.inner.get(key, options);
    if (bytes) await this.down?.pass(bytes.byteLength, startedAt);
    return bytes;
  }

  head(key: string, options?: StorageCallOptions): Promise<StorageObject | null> {
    return this.inner.head(key, options);
  }

  list(prefix: string, options?: StorageCallOptions): Promise<StorageObject[]> {
    return this.inner.list(prefix, options);
  }

  delete(keys: readonly string[], options?: StorageCallOptions): Promise<void> {
    return this.inner.delete(keys, options);
  }
}

/** The storage as it is when no cap is set, paced otherwise. */
export function withLinkCaps(storage: StoragePort, caps: LinkCaps | undefined): StoragePort {
  return caps && (caps.uploadMbps || caps.downloadMbps) ? new PacedStorage(storage, caps) : storage;
}
