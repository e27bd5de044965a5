import type { S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import { ContractError } from '../../contract/errors';
import type { RoundState } from '../../contract/domains/round';
import type { ChainSigner } from '../ports/chain-port';
import { resolveTarget } from '../adapters/subtensor/networks';
import { SubtensorChain } from '../adapters/subtensor/subtensor-chain';
import type { Logger } from '../core/logging/logger';
import type { SupervisorState } from '../adapters/process/process-supervisor';
import type { StorageCredentials } from '../ports/storage-credentials';
import { packageInfo } from '../platform/package-info';
import { placeInitialWeights } from '../services/run/initial-weights';
import { ListedShards, runBucketClients, shardCacheDir } from '../services/run/listed-shards';
import { localShards } from '../services/run/local-shards';
import { incompatibilityWith, wrongChain } from '../services/run/run-compatibility';
import { openReadOnly } from '../services/run/peer-directory';
import type { PeerReadAccess } from '../services/run/storage-commitment';
import type { RunManifest } from '../ports/run-manifest';
import { createNetworkRuntime, NotRegisteredError, type NetworkRuntime, type NetworkRuntimeOptions } from './network-runtime';
import { runTrainer, type TrainerDevice } from '../adapters/trainer/trainer-config';
import type { LinkCaps } from '../adapters/storage/paced-storage';
import { S3Storage } from '../adapters/storage/s3-storage';


export interface JoinNetworkOptions {
  /** The network target (a name or a ws:// URL) and the run's manifest there. */
  target: string;
  /** The chain's name in logs and the UI, when not the target itself (the app's devnet: "devnet"). */
  chainName?: string;
  manifest: RunManifest;
  /** The hotkey whose signature on the manifest was checked (null: an unsigned file); its bucket holds the run's s3:// shards. */
  runOwner?: string | null;
  /** This machine's unlocked hotkey (Wallet), or null while locked. */
  hotkey: ChainSigner | null;
  /** This machine's bucket, or null when none is set up. */
  bucket: StorageCredentials | null;
  /** Where this run's state lives on this machine. */
  folder: string;
  dataDir: string;
  trainerExecutable: string;
  corpusDir: string;
  logger: Logger;
  onState(state: RoundState): void;
  linkCaps?: LinkCaps;
  trainerThreads?: number;
  trainerDevice?: TrainerDevice;
  trainerEnv?: Record<string, string>;
  onTrainerSupervisor?(state: SupervisorState): void;
  /** Another route to the same S3 endpoints for this machine's own requests (the round benchmark's shaped links). */
  route?(endpoint: string): string;
  /** Settings → limits → disk space, in bytes: the shard cache stays under it. */
  diskCapBytes?: number | null;
  /** This app's version, checked against the run's minimum (default: the package's). */
  appVersion?: string;
  /** The id that seeds this peer's data (its sampler and shard assignment); default its uid. Only a cheating peer's differs (tandem adversary's lazy one). */
  samplerId?(uid: number): string;
  /** Replaces this peer's trainer and upload storage: a cheating peer for trying validators (tandem adversary), never the app's own. */
  adapt?: NetworkRuntimeOptions['adapt'];
}

/**
 * Join on a real network (finney, test, or any subtensor endpoint): what the
 * user set up (hotkey, bucket, the run's manifest) checked first, each gap a
 * sentence saying where to fix it, then the one network runtime.
 */
export async function joinNetwork(options: JoinNetworkOptions): Promise<NetworkRuntime> {
  const { manifest, target } = options;
  if (!options.hotkey) throw new ContractError('FAILED', 'Unlock your hotkey first (Wallet): it signs the commitment that tells other peers where your updates are.');
  if (!options.bucket) throw new ContractError('FAILED', 'Set up your storage bucket first (Settings → Storage): every peer uploads its updates to its own bucket.');
  const resolved = resolveTarget(target);
  if (resolved.kind !== 'subtensor') throw new ContractError('FAILED', `${target} is not a subtensor network`);
  const incompatible = incompatibilityWith(manifest, { version: options.appVersion ?? packageInfo().version });
  if (incompatible) throw new ContractError('FAILED', `Cannot join ${manifest.name}: ${incompatible}.`);
  let chain: SubtensorChain;
  try {
    chain = await SubtensorChain.open({ name: options.chainName ?? resolved.name, endpoint: resolved.url });
  } catch (error) {
    throw new ContractError('FAILED', `Cannot reach ${resolved.name} (${resolved.url}): ${(error as Error).message}. Check the network setting and your connection, then Join again.`);
  }
  // The run is on one chain: an endpoint that serves another (a reset devnet, a testnet by a wrong name) is left before anything is signed there.
  const otherChain = wrongChain(manifest, chain.genesisHash(), resolved.url);
  if (otherChain) {
    await chain.close();
    throw new ContractError('FAILED', `${otherChain}.`);
  }
  // A run that lists its shards by URL has each window's fetched into the shard cache; otherwise they are on this machine.
  const listed = typeof manifest.data.shards !== 'string';
  let shards: string | undefined;
  try {
    if (!listed) shards = localShards(manifest, { dataDir: options.dataDir, trainerExecutable: options.trainerExecutable, corpusDir: options.corpusDir });
  } catch (error) {
    await chain.close();
    throw error;
  }
  let openS3: ((bucket: string) => S3Client) | undefined;
  try {
    openS3 = await runBucketClients(manifest, options.runOwner ?? null, chain);
  } catch (error) {
    await chain.close();
    throw new ContractError('FAILED', `Cannot reach the run's data: ${(error as Error).message}.`);
  }
  const data = listed
    ? (uid: number) =>
        new ListedShards({ manifest, peerId: options.samplerId?.(uid) ?? String(uid), cacheDir: shardCacheDir(options.dataDir), capBytes: options.diskCapBytes ?? null, logger: options.logger, ...(openS3 ? { openS3 } : {}) })
    : undefined;
  // A run that starts from given weights: they become this machine's trainer checkpoint before the trainer first starts.
  const checkpointFile = path.join(options.folder, 'trainer.safetensors');
  try {
    await placeInitialWeights(manifest, checkpointFile, { ...(openS3 ? { openS3 } : {}), logger: options.logger });
  } catch (error) {
    await chain.close();
    throw new ContractError('FAILED', `Cannot join ${manifest.name}: ${(error as Error).message}.`);
  }
  const { bucket } = options;
  const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
  const route = options.route ?? ((endpoint: string) => endpoint);
  let trainer: ReturnType<typeof runTrainer> | undefined;
  const makeTrainer = (uid: number) => (trainer = runTrainer({
    manifest,
    executable: options.trainerExecutable,
    ...(shards ? { dataDir: shards } : {}),
    checkpointFile,
    spacedCheckpoints: true,
    peerId: options.samplerId?.(uid) ?? String(uid),
    logger: options.logger.child({ peer: 'me' }),
    ...(options.trainerThreads === undefined ? {} : { threads: options.trainerThreads }),
    ...(options.trainerDevice ? { device: options.trainerDevice } : {}),
    ...(options.trainerEnv ? { env: options.trainerEnv } : {}),
    ...(options.onTrainerSupervisor ? { onSupervisorState: options.onTrainerSupervisor } : {}),
  }));
  try {
    const runtime = await createNetworkRuntime({
      manifest,
      chain,
      hotkey: options.hotkey,
      storage: { write: new S3Storage({ ...location, endpoint: route(location.endpoint), ...bucket.write }), read: { ...location, ...bucket.read } },
      ...(options.route ? { openPeerStorage: (access: PeerReadAccess) => openReadOnly({ ...access, endpoint: route(access.endpoint) }) } : {}),
      trainer: makeTrainer,
      ...(data ? { data } : {}),
      folder: options.folder,
      logger: options.logger,
      onState: options.onState,
      ...(options.linkCaps ? { linkCaps: options.linkCaps } : {}),
      ...(options.adapt ? { adapt: options.adapt } : {}),
    });
    return {
      ...runtime,
      close: async () => {
        await runtime.close();
        await chain.close();
      },
    };
  } catch (error) {
    await trainer?.stop().catch(() => undefined);
    await chain.close();
    if (error instanceof NotRegisteredError) throw new ContractError('FAILED', error.message);
    throw error;
  }
}

/** A folder name for a run on a network: its name or endpoint and netuid, in characters every file system takes. */
export function runFolderName(target: string, netuid: number): string {
  return `${target.replace(/^wss?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 80)}-${netuid}`;
}
