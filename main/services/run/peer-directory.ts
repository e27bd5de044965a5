import type { ChainPort, Metagraph } from '../../ports/chain-port';
import type { Logger } from '../../core/logging/logger';
import { S3Storage } from '../../adapters/storage/s3-storage';
import type { StoragePort } from '../../ports/storage-port';
import type { RunManifest } from '../../ports/run-manifest';
import { decodeStorageCommitment, type PeerReadAccess } from './storage-commitment';
import { windowOf } from '../round/window-clock';

/** Where one peer's updates can be read, or why they cannot. */
export interface PeerEntry {
  uid: number;
  hotkey: string;
  /** Null while the peer's bucket is usable. */
  unreachable: string | null;
  /** The block of the storage commitment this entry was read from (null: none). */
  committedAt: number | null;
  storage: StoragePort | null;
}

export interface PeerDirectoryOptions {
  chain: Pick<ChainPort, 'metagraph' | 'commitments'>;
  netuid: number;
  logger: Logger;
  /** Opens a read-only client for a peer's bucket (default: the AWS SDK with its read key). */
  open?(access: PeerReadAccess): StoragePort;
  /**
   * Hotkeys that publish a bucket without mining: the run's checkpoint
   * publisher (its validator). Their buckets are readable here, but they are
   * never counted among the miners whose updates are gathered.
   */
  nonMiners?: ReadonlySet<string>;
}

/**
 * Maps the subnet's uids to readable buckets, from the storage commitments
 * their hotkeys published on chain. A peer with no commitment, a malformed
 * or foreign one, is listed as unreachable with the reason and skipped by
 * the gather; it never stops the run. Clients are kept while a commitment is
 * unchanged, and replaced when its hotkey commits new access.
 */
export class PeerDirectory {
  private entries = new Map<number, PeerEntry>();
  /** hotkey -> the commitment text its client was opened for. */
  private readonly clients = new Map<string, { text: string; storage: StoragePort }>();
  private readonly log: Logger;
  private refreshing: Promise<void> | null = null;
  private committed: ReadonlySet<string> = new Set();

  constructor(private readonly options: PeerDirectoryOptions) {
    this.log = options.logger.child({ source: 'peers' });
  }

  /** Re-reads the metagraph (unless given) and the commitments; concurrent calls share one read. */
  refresh(metagraph?: Metagraph): Promise<void> {
    this.refreshing ??= this.read(metagraph).finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  storageOf(uid: number): StoragePort | undefined {
    return this.entries.get(uid)?.storage ?? undefined;
  }

  entryOf(uid: number): PeerEntry | undefined {
    return this.entries.get(uid);
  }

  /**
   * Whether `uid`'s update of `window` may count: its commitment, as this
   * directory read it, was on chain before the window's first block. Every
   * peer re-reads the commitments at a window's first block, so a commitment
   * made later (a newcomer's, a new bucket's) is not yet known to all of them
   * for that window: nobody counts that window's update, its author included.
   */
  committedBefore(uid: number, window: number, blocksPerWindow: number): boolean {
    const at = this.entries.get(uid)?.committedAt;
    return at !== undefined && at !== null && at < window * blocksPerWindow;
  }

  /** The entry of a hotkey registered on the subnet (the checkpoint publisher's), when it is. */
  entryOfHotkey(hotkey: string): PeerEntry | undefined {
    return [...this.entries.values()].find((e) => e.hotkey === hotkey);
  }

  /**
   * The miners' hotkeys as the chain says now, read afresh. The peers'
   * clients are left as they are: those change only at a window's first
   * block, on every peer alike (refresh).
   */
  async committedNow(): Promise<ReadonlySet<string>> {
    const { chain, netuid } = this.options;
    const [metagraph, commitments] = await Promise.all([chain.metagraph(netuid), chain.commitments(netuid)]);
    return this.minersAmong(metagraph, commitments);
  }

  private minersAmong(metagraph: Metagraph, commitments: ReadonlyMap<string, unknown>): ReadonlySet<string> {
    const present = new Set(metagraph.neurons.map((n) => n.hotkey));
    const nonMiners = this.options.nonMiners ?? new Set<string>();
    return new Set([...commitments.keys()].filter((hotkey) => present.has(hotkey) && !nonMiners.has(hotkey)));
  }

  /** Hotkeys that published a storage commitment (a malformed one too), less the non-miners: the subnet's miners. */
  committedHotkeys(): ReadonlySet<string> {
    return this.committed;
  }

  all(): PeerEntry[] {
    return [...this.entries.values()].sort((a, b) => a.uid - b.uid);
  }

  private async read(given: Metagraph | undefined): Promise<void> {
    const { chain, netuid } = this.options;
    const [metagraph, commitments] = await Promise.all([given ?? chain.metagraph(netuid), chain.commitments(netuid)]);
    const next = new Map<number, PeerEntry>();
    for (const neuron of metagraph.neurons) {
      const commitment = commitments.get(neuron.hotkey);
      const entry: PeerEntry = { uid: neuron.uid, hotkey: neuron.hotkey, unreachable: null, storage: null, committedAt: commitment?.block ?? null };
      if (!commitment) entry.unreachable = 'no storage commitment on chain yet';
      else {
        const verdict = decodeStorageCommitment(commitment.data);
        if (!verdict.ok) entry.unreachable = verdict.reason;
        else entry.storage = this.clientFor(neuron.hotkey, commitment.data, verdict.access);
      }
      const before = this.entries.get(neuron.uid);
      // A newcomer has not committed yet (and validators never do): worth a note, not a warning.
      if (entry.unreachable && before?.unreachable !== entry.unreachable) (commitment ? this.log.warn : this.log.info).call(this.log, { uid: neuron.uid, reason: entry.unreachable }, 'peer unreachable');
      next.set(neuron.uid, entry);
    }
    // Hotkeys gone from the subnet (deregistered) let go of their clients.
    const present = new Set(metagraph.neurons.map((n) => n.hotkey));
    for (const [hotkey, client] of this.clients) {
      if (!present.has(hotkey)) {
        closeStorage(client.storage);
        this.clients.delete(hotkey);
      }
    }
    this.entries = next;
    this.committed = this.minersAmong(metagraph, commitments);
  }

  private clientFor(hotkey: string, text: string, access: PeerReadAccess): StoragePort {
    const kept = this.clients.get(hotkey);
    if (kept?.text === text) return kept.storage;
    if (kept) closeStorage(kept.storage);
    const storage = this.options.open ? this.options.open(access) : openReadOnly(access);
    this.clients.set(hotkey, { text, storage });
    return storage;
  }

  close(): void {
    for (const client of this.clients.values()) closeStorage(client.storage);
    this.clients.clear();
    this.entries.clear();
  }
}

/** A peer's bucket through the AWS SDK with its public read key. */
export function openReadOnly(access: PeerReadAccess): S3Storage {
  return new S3Storage({
    endpoint: access.endpoint,
    region: access.region,
    bucket: access.bucket,
    forcePathStyle: access.forcePathStyle,
    accessKeyId: access.accessKeyId,
    secretAccessKey: access.secretAccessKey,
  });
}

function closeStorage(storage: StoragePort): void {
  (storage as { close?: () => void }).close?.();
}


/**
 * The directory of a run's subnet as every peer and validator keeps it: the
 * manifest's checkpoint publisher is not a miner, and the commitments are
 * re-read at each window's first block (peers commit, re-commit, come and go).
 * The returned stop() ends the re-reading.
 */
export async function followRunDirectory(options: {
  manifest: RunManifest;
  chain: Pick<ChainPort, 'metagraph' | 'commitments' | 'subscribeBlocks'>;
  logger: Logger;
  open?: PeerDirectoryOptions['open'];
}): Promise<{ directory: PeerDirectory; stop: () => void }> {
  const { manifest, chain, logger } = options;
  const publisher = manifest.checkpoints.publisher;
  const directory = new PeerDirectory({
    chain,
    netuid: manifest.chain.netuid,
    logger,
    ...(options.open ? { open: options.open } : {}),
    ...(publisher ? { nonMiners: new Set([publisher]) } : {}),
  });
  await directory.refresh();
  const stop = await chain.subscribeBlocks((block) => {
    if (windowOf(block.number, manifest.windows.blocksPerWindow).blockInWindow === 0) {
      directory.refresh().catch((error: unknown) => logger.warn({ err: error }, 'could not re-read the peers\u2019 commitments'));
    }
  });
  return { directory, stop };
}
