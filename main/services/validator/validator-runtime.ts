import path from 'node:path';
import type { ChainPort, ChainSigner, ChainWriter } from '../../ports/chain-port';
import type { Logger } from '../../core/logging/logger';
import type { RunManifest } from '../../ports/run-manifest';
import { followRunDirectory, type PeerDirectory } from '../run/peer-directory';
import { publishStorageCommitment } from '../run/publish-commitment';
import { newestCheckpoint, publishAggregateRecord, publishCheckpoint } from '../run/run-checkpoints';
import type { PeerReadAccess } from '../run/storage-commitment';
import type { StoragePort } from '../../ports/storage-port';
import { DevnetValidator, type ValidatorTrainer } from './devnet-validator';
import type { ValidatorSettings } from './validator-settings';
import type { WindowReport } from './window-report';
import { RatingBook, type RatingPolicy } from './rating-book';

export interface ValidatorRuntimeOptions {
  manifest: RunManifest;
  /** The run's chain, any network (the devnet's node too). */
  chain: ChainPort & ChainWriter;
  /** The validator's hotkey: registered on the run's netuid, with a validator permit to set weights. */
  hotkey: ChainSigner;
  /** Its own trainer (evaluates updates, follows the global model); started here, stopped on close when it can be. */
  trainer: ValidatorTrainer & { start?(): void; stop?(graceMs?: number): Promise<void> };
  /** Ratings and scratch payloads. */
  folder: string;
  logger: Logger;
  settings?: Partial<ValidatorSettings>;
  ratingPolicy?: RatingPolicy;
  onValidated?(report: WindowReport): void;
  /** Opens a read-only client for a miner's bucket (tests and benchmarks route these). */
  openPeerStorage?: ConstructorParameters<typeof PeerDirectory>[0]['open'];
  /**
   * This validator's bucket, when the manifest names its hotkey as the run's
   * checkpoint publisher: its read access is published on chain and the
   * global model goes there every `checkpoints.everyWindows` windows.
   */
  publishing?: { storage: { write: StoragePort; read: PeerReadAccess }; checkpointFile: string };
  /** The shards a peer id drew from in a window, when the run lists its shards by URL. */
  data?: { shardsOf(peerId: string, window: number): Promise<string[]> };
}

export interface ValidatorRuntime {
  uid: number;
  validator: DevnetValidator;
  ratings: RatingBook;
  directory: PeerDirectory;
  close(): Promise<void>;
}

/** Why this validator cannot set weights on a subnet: commit-reveal is on there. */
export class CommitRevealError extends Error {
  constructor(netuid: number, network: string) {
    super(`Subnet ${netuid} on ${network} has commit-reveal of weights on (hyperparameter CommitRevealWeightsEnabled): this validator sets weights directly, which the chain refuses there. Commit-reveal support comes in a later version.`);
    this.name = 'CommitRevealError';
  }
}

/**
 * A validator on any network: it reads every miner's updates from the bucket
 * its commitment names, scores them (the Gauntlet, GAUNTLET.md), follows the
 * global model, and sets weights on chain at the manifest's cadence. Refuses
 * at start, with the hyperparameter named, where the subnet needs
 * commit-reveal of weights.
 */
export async function createValidatorRuntime(options: ValidatorRuntimeOptions): Promise<ValidatorRuntime> {
  const { manifest, chain, hotkey, logger } = options;
  const netuid = manifest.chain.netuid;
  const uid = await chain.uidOf(netuid, hotkey.address);
  if (uid === null) throw new Error(`The validator hotkey ${hotkey.address} is not registered on subnet ${netuid} of ${chain.name}: register it (tandem register) and stake to it for a validator permit.`);
  if (await chain.commitRevealEnabled?.(netuid)) throw new CommitRevealError(netuid, chain.name);

  const checkpointer = await checkpointPublisher(options, logger);
  const { directory, stop: stopDirectory } = await followRunDirectory({ manifest, chain, logger, ...(options.openPeerStorage ? { open: options.openPeerStorage } : {}) });
  const ratingsFile = path.join(options.folder, 'ratings.json');
  const ratings = await RatingBook.load(ratingsFile, options.ratingPolicy);
  options.trainer.start?.();
  const validator = new DevnetValidator({
    manifest,
    chain,
    signer: hotkey,
    uid,
    peerStorage: (peer) => directory.storageOf(peer),
    minerHotkeys: () => directory.committedNow(),
    committedBefore: (uid: number, window: number) => directory.committedBefore(uid, window, manifest.windows.blocksPerWindow),
    trainer: options.trainer,
    ...(options.data ? { data: options.data } : {}),
    ratings,
    ratingsFile,
    workDir: path.join(options.folder, 'work'),
    logger,
    ...(options.settings ? { settings: options.settings } : {}),
    onValidated: (report) => {
      checkpointer?.afterWindow(report);
      options.onValidated?.(report);
    },
  });
  await validator.start();
  return {
    uid,
    validator,
    ratings,
    directory,
    async close() {
      stopDirectory();
      // The validation in progress would hold the stop for its evaluations: the trainer gets a moment, then goes.
      const stopped = validator.stop();
      await options.trainer.stop?.(3000);
      await stopped;
      await checkpointer?.settle();
      directory.close();
    },
  };
}

/**
 * The checkpoint publisher's part, when this validator is the one the
 * manifest names: its storage commitment on chain, then after each window
 * whose aggregate it applied, the global model when one is due (the first
 * aggregate, then every `everyWindows`), and every window the record of
 * whose updates it aggregated. Uploads run one at a time, beside
 * validation; a failed one is logged and tried again at the next window.
 */
async function checkpointPublisher(options: ValidatorRuntimeOptions, logger: Logger) {
  const { manifest, hotkey, chain } = options;
  const policy = manifest.checkpoints;
  if (policy.publisher !== hotkey.address) return null;
  const publishing = options.publishing;
  if (!publishing) throw new Error(`The run names this validator's hotkey ${hotkey.address} as its checkpoint publisher: give it a bucket to publish them in (Settings → Storage, or tandem storage set).`);
  const log = logger.child({ source: 'checkpoints' });
  await publishStorageCommitment({ chain, netuid: manifest.chain.netuid, hotkey, read: publishing.storage.read, logger: log });
  let lastPublished = (await newestCheckpoint(publishing.storage.write, manifest.protocolVersion).catch(() => null))?.window ?? null;
  let queue: Promise<void> = Promise.resolve();
  return {
    afterWindow(report: WindowReport): void {
      queue = queue.then(async () => {
        // Every window: whose updates the global model took, for peers that replay it later.
        await publishAggregateRecord(publishing.storage.write, { version: 1, window: report.window, uids: report.aggregated, modelDigest: report.globalDigest }, { protocolVersion: manifest.protocolVersion, retentionWindows: manifest.retentionWindows }).catch(
          (error: unknown) => log.warn({ window: report.window, err: error }, 'could not publish the window\u2019s aggregate record'),
        );
        if (report.aggregated.length === 0) return;
        if (lastPublished !== null && report.window - lastPublished < policy.everyWindows) return;
        try {
          const record = await publishCheckpoint(publishing.storage.write, publishing.checkpointFile, { protocolVersion: manifest.protocolVersion, keep: policy.keep, digest: { window: report.window, modelDigest: report.globalDigest } });
          if (record) {
            lastPublished = record.window;
            log.info({ window: record.window, bytes: record.bytes, sha256: record.sha256 }, 'published the run\u2019s checkpoint');
          }
        } catch (error) {
          log.warn({ window: report.window, err: error }, 'could not publish the run\u2019s checkpoint; tried again next window');
        }
      });
    },
    settle: () => queue,
  };
}
