import fs from 'node:fs/promises';
import path from 'node:path';
import type { RoundState } from '../../contract/domains/round';
import type { ChainPort, ChainSigner, ChainWriter } from '../ports/chain-port';
import { formatTao } from '../services/chain/tao';
import { EarningsTracker } from '../services/earnings/earnings-tracker';
import { RoundLedger } from '../services/earnings/round-ledger';
import type { Logger } from '../core/logging/logger';
import { PeerTraffic } from './peer-traffic';
import { CatchUpState } from '../services/round/catch-up-state';
import type { PayloadVerdict } from '../services/round/gather';
import { RoundEngine } from '../services/round/round-engine';
import { codecPayloadCheck } from '../services/round/payload-check';
import type { RoundRuntime } from '../services/round/round-module';
import type { TrainerPort } from '../ports/trainer-port';
import type { WindowData } from '../services/round/window-data';
import { withLinkCaps, type LinkCaps } from '../adapters/storage/paced-storage';
import type { StoragePort } from '../ports/storage-port';
import { catchUpWindowsOf, type RunManifest } from '../ports/run-manifest';
import { followRunDirectory, type PeerDirectory } from '../services/run/peer-directory';
import { PublishedCheckpoints } from '../services/run/published-checkpoints';
import { publishStorageCommitment, type CommitmentNotice } from '../services/run/publish-commitment';
import type { PeerReadAccess } from '../services/run/storage-commitment';

export interface NetworkRuntimeOptions {
  manifest: RunManifest;
  /** The run's chain: subtensor at any endpoint (the devnet's node too), through the same port. */
  chain: ChainPort & ChainWriter;
  /** This peer's hotkey, registered on the run's netuid; it signs the storage commitment. */
  hotkey: ChainSigner;
  /** This peer's bucket: where it writes (the write key stays here), and the read access it publishes. */
  storage: { write: StoragePort; read: PeerReadAccess };
  /**
   * This peer's trainer, made once its uid is known (the uid seeds the data
   * sampler, so validators can recompute its batches); started by the
   * runtime, stopped on close when it can be.
   */
  trainer(uid: number): TrainerPort & { start?(): void; stop?(graceMs?: number): Promise<void> };
  /** This peer's folder in this run: ledger, catch-up state, payouts, scratch payloads. */
  folder: string;
  logger: Logger;
  onState?(state: RoundState): void;
  /** Upload and download caps for this peer's transfers (Settings → limits). */
  linkCaps?: LinkCaps;
  /** Opens a read-only client for another peer's bucket (tests and benchmarks route these). */
  openPeerStorage?: ConstructorParameters<typeof PeerDirectory>[0]['open'];
  /** Checks each gathered payload (default: the codec's validation with the manifest's top-k). */
  validatePayload?(payload: Uint8Array): Promise<PayloadVerdict>;
  /** Windows replayed to catch up before a checkpoint is needed (default: catchUpWindowsOf). */
  maxCatchUpWindows?: number;
  /** The shards each window trains on, when the run lists them by URL (made once the uid, which seeds the assignment, is known). */
  data?(uid: number): WindowData;
  /** Replaces this peer's trainer and upload storage (the devnet's cheating peers wrap the honest ones). */
  adapt?(uid: number, honest: { trainer: TrainerPort; storage: StoragePort }): { trainer: TrainerPort; storage: StoragePort };
}

/** A joined run, on any network: what the round module, the Network page and the chain views read. */
export interface NetworkRuntime extends RoundRuntime {
  uid: number;
  hotkey: string;
  chain: ChainPort;
  directory: PeerDirectory;
  /** What this machine received from each peer. */
  traffic: PeerTraffic;
  /** Things the user should know about this peer's published storage (e.g. a read key that can write), as of now. */
  notices(): readonly CommitmentNotice[];
  /**
   * New keys or a new bucket (Settings → Storage) while joined: published as
   * the new commitment, and used from the next upload on.
   */
  useStorage(storage: { write: StoragePort; read: PeerReadAccess }): Promise<void>;
}

/** How long a leaving peer's trainer may take to finish what it is doing before it is ended. */
const STOP_GRACE_MS = 3000;

/** Thrown when the hotkey has no uid on the run's subnet; the message says how to register. */
export class NotRegisteredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotRegisteredError';
  }
}

/**
 * Joins a run on any network with one code path: this machine's hotkey (its
 * uid on the run's netuid), its bucket published as a storage commitment, the
 * peers' buckets read from theirs, and the round engine over those ports. The
 * devnet and finney differ only in the chain endpoint and the buckets.
 */
export async function createNetworkRuntime(options: NetworkRuntimeOptions): Promise<NetworkRuntime> {
  const { manifest, chain, hotkey, logger } = options;
  const netuid = manifest.chain.netuid;
  const log = logger.child({ source: 'run' });
  const uid = await chain.uidOf(netuid, hotkey.address);
  if (uid === null) throw new NotRegisteredError(await notRegisteredMessage(chain, netuid, hotkey.address));
  await fs.mkdir(options.folder, { recursive: true });

  let notices = await publishStorageCommitment({ chain, netuid, hotkey, read: options.storage.read, logger: log });
  // How the others read this peer: through its own entry in the directory, refreshed at every window start on every
  // peer alike, so a new commitment counts for its own update exactly when it counts for the others.
  const selfAsSeen = (): StoragePort => ({
    name: 'this peer as the others read it',
    get: (key, o) => seenSelf().get(key, o),
    head: (key, o) => seenSelf().head(key, o),
    list: (prefix, o) => seenSelf().list(prefix, o),
    put: () => Promise.reject(new Error('read-only')),
    delete: () => Promise.reject(new Error('read-only')),
  });
  const seenSelf = (): StoragePort => {
    const entry = directory.entryOf(uid as number);
    if (!entry?.storage) throw new Error(`this peer's own commitment cannot be read: ${entry?.unreachable ?? 'not on chain yet'}`);
    return withLinkCaps(entry.storage, options.linkCaps);
  };
  const publisher = manifest.checkpoints.publisher;
  const { directory, stop: stopDirectory } = await followRunDirectory({ manifest, chain, logger, ...(options.openPeerStorage ? { open: options.openPeerStorage } : {}) });

  const maxCatchUpWindows = options.maxCatchUpWindows ?? catchUpWindowsOf(manifest);
  const ledger = new RoundLedger(path.join(options.folder, 'rounds.ndjson'));
  const catchUpState = await CatchUpState.load(path.join(options.folder, 'catch-up.json'), maxCatchUpWindows);
  const traffic = new PeerTraffic();
  const caps = options.linkCaps;
  const validate = options.validatePayload ?? codecPayloadCheck(manifest);
  const trainer = options.trainer(uid);
  trainer.start?.();
  const restore = trainer.restoreCheckpoint?.bind(trainer);
  const checkpoints =
    publisher && restore
      ? new PublishedCheckpoints({
          manifest,
          publisherStorage: () => {
            const storage = directory.entryOfHotkey(publisher)?.storage;
            return storage ? withLinkCaps(storage, options.linkCaps) : undefined;
          },
          restore,
          folder: path.join(options.folder, 'work'),
          logger: log,
        })
      : undefined;
  const honest = { trainer: trainer as TrainerPort, storage: withLinkCaps(options.storage.write, caps) };
  const parts = options.adapt ? options.adapt(uid, honest) : honest;
  const engine = new RoundEngine({
    manifest,
    chain,
    self: { uid, hotkey: hotkey.address },
    storage: parts.storage,
    minerHotkeys: () => directory.committedNow(),
    committedBefore: (uid: number, window: number) => directory.committedBefore(uid, window, manifest.windows.blocksPerWindow),
    ownReadBack: selfAsSeen(),
    peerStorage: (peer) => {
      const storage = directory.storageOf(peer);
      return storage ? withLinkCaps(storage, caps) : undefined;
    },
    trainer: parts.trainer,
    validatePayload: validate,
    ledger,
    catchUpState,
    maxCatchUpWindows,
    ...(checkpoints ? { checkpoints } : {}),
    ...(options.data ? { data: options.data(uid) } : {}),
    workDir: path.join(options.folder, 'work'),
    logger,
    ...(options.onState ? { onState: options.onState } : {}),
    onGather: (window, peers) => traffic.record(window, peers),
  });

  const tempo = chain.tempo ? await chain.tempo(netuid) : manifest.windows.blocksPerWindow * 2;
  const earnings = await EarningsTracker.open({ chain, netuid, uid, ledger, tempo, file: path.join(options.folder, 'payouts.json'), logger });
  const stopEarnings = await chain.subscribeBlocks((block) => void earnings.onBlock(block.number));
  log.info({ network: chain.name, netuid, uid, peers: directory.all().length }, 'joined the run');

  return {
    uid,
    hotkey: hotkey.address,
    chain,
    directory,
    traffic,
    notices: () => notices,
    async useStorage(storage) {
      notices = await publishStorageCommitment({ chain, netuid, hotkey, read: storage.read, logger: log });
      engine.useStorage(withLinkCaps(storage.write, caps), selfAsSeen());
      log.info({ bucket: storage.read.bucket }, 'storage changed: new uploads go to the new bucket');
    },
    engine,
    ledger,
    trainer,
    payouts: () => earnings.payouts,
    async close() {
      stopDirectory();
      stopEarnings();
      await engine.leave('now');
      // A window in training would hold the stop for its remaining inner steps: the trainer gets a moment to finish
      // what it writes, then goes; its checkpoint is the last outer step's, so nothing is lost that a restart needs.
      await trainer.stop?.(STOP_GRACE_MS);
      await engine.settle();
      directory.close();
    },
  };
}

async function notRegisteredMessage(chain: ChainPort, netuid: number, hotkey: string): Promise<string> {
  const burn = await (chain as { burn?: (n: number) => Promise<bigint> }).burn?.(netuid).catch(() => null);
  const cost = burn === undefined || burn === null ? '' : ` Registration burns ${formatTao(burn)} from the coldkey.`;
  return `The hotkey ${hotkey} is not registered on subnet ${netuid} of ${chain.name}. Register it first (Wallet → Register, or tandem register).${cost}`;
}
