import fs from 'node:fs/promises';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import type { ChainSigner } from '../ports/chain-port';
import { SubtensorChain } from '../adapters/subtensor/subtensor-chain';
import type { Logger } from '../core/logging/logger';
import type { StorageCredentials } from '../ports/storage-credentials';
import type { RunManifest } from '../ports/run-manifest';
import { localShards } from '../services/run/local-shards';
import { createNetworkRuntime, type NetworkRuntime } from '../network/network-runtime';
import { openReadOnly } from '../services/run/peer-directory';
import type { PeerReadAccess } from '../services/run/storage-commitment';
import { signManifest, verifySignedManifest, type SignedManifestFile } from '../services/run/signed-manifest';
import { runTrainer } from '../adapters/trainer/trainer-config';
import { S3Storage } from '../adapters/storage/s3-storage';
import type { ValidatorSettings } from '../services/validator/validator-settings';
import type { WindowReport } from '../services/validator/window-report';
import type { RatingPolicy } from '../services/validator/rating-book';
import { createValidatorRuntime, type ValidatorRuntime } from '../services/validator/validator-runtime';
import { ADVERSARY_KINDS, adversarialParts, adversarySamplerId, type AdversaryKind } from './adversaries/adversary-kinds';
import { seededRandom } from '../core/seeded-random';
import { ColludingPair } from './adversaries/colluding-pair';
import { devnetManifest } from './devnet-manifest';
import { DevnetNode } from './node/devnet-node';
import { DevnetS3 } from './storage/devnet-s3';

const TAO = 1_000_000_000n;
const SIMULATED_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve'];
const DEFAULT_SIMULATED_PEERS = 3;

/**
 * The first windows after the devnet starts, in which its validator has
 * nothing to judge yet: it judges window w after w's upload deadline, during
 * window w + 1 and into w + 2, so from the third window on it works through
 * every window beside the peers' training, and before that it rests. Those
 * first windows train faster than the rest; the fit test's trial measures
 * the windows after them.
 */
export const DEVNET_VALIDATOR_IDLE_WINDOWS = 2;
/** What the devnet's validator stakes for its permit, and what a newcomer is given to register with. */
const VALIDATOR_STAKE = 1_000n * TAO;
const NEWCOMER_FUNDS = 100n * TAO;
/** The devnet run's owner: the key that signs its manifest. A well-known dev key, worthless outside the devnet. */
export const DEVNET_OWNER_URI = '//DevnetRunOwner';

export interface LocalDevnetOptions {
  /** Everything the devnet keeps: chain state, buckets, shards, the simulated peers' and validator's folders. */
  root: string;
  /** Where the chain node and the storage server listen (127.0.0.1 unless served to a LAN). */
  host?: string;
  chainPort?: number;
  storagePort?: number;
  /** The address other machines reach it by, written into the manifest's chain endpoint when served. */
  publicHost?: string;
  trainerExecutable: string;
  corpusDir: string;
  logger: Logger;
  /** Simulated honest peers (default 3). */
  simulatedPeers?: number;
  /** Cheating simulated peers, one per entry (to try the validator against). */
  adversaries?: readonly AdversaryKind[];
  /** Seeds the adversaries' random choices (noise, the coordinates a copier keeps), so that a trial can be run again (default 1). */
  adversarySeed?: number;
  /** Run the devnet's validator (default true). */
  validator?: boolean;
  manifest?: RunManifest;
  tuneManifest?(manifest: RunManifest): RunManifest;
  validatorSettings?: Partial<ValidatorSettings>;
  ratingPolicy?: RatingPolicy;
  onValidated?(report: WindowReport): void;
  /** The route `viewer` (a peer's name, or 'validator') takes to an S3 endpoint; the round benchmark puts a shaped link on each. */
  route?(viewer: string, endpoint: string): string;
}

/** What a newcomer is given: its uid, registered by its own extrinsic, and its own bucket with a write and a read key. */
export interface Admission {
  uid: number;
  bucket: StorageCredentials;
}

export interface LocalDevnet {
  /** The chain endpoint, ws://host:port: what any peer joins with, this machine's included. */
  url: string;
  storageEndpoint: string;
  manifest: RunManifest;
  /** The manifest as published: signed by the devnet owner's key, with this chain's genesis hash. */
  signedManifest: SignedManifestFile;
  node: DevnetNode;
  storage: DevnetS3;
  /** The simulated actors' chain client. */
  chain: SubtensorChain;
  /** Simulated peers by name (adversaries are named after their kind). */
  peers: Map<string, NetworkRuntime>;
  validator: ValidatorRuntime | null;
  /** Funds `coldkey`, registers `hotkey` by a burned registration it signs, and makes it a bucket. */
  admit(name: string, keys: { coldkey: KeyringPair; hotkey: KeyringPair }): Promise<Admission>;
  /**
   * Sets the simulated peers training. Called once whoever should start
   * with them (this machine's peer) is ready too: peers that start in
   * different windows hold different models (a late joiner needs the run's
   * checkpoint, which comes with signed manifests).
   */
  startPeers(): Promise<void>;
  /** Mean loss of the validator's (global) model on held-out batches. */
  heldOutLoss(steps: number): Promise<number>;
  close(): Promise<void>;
}

export const signerOf = (pair: KeyringPair): ChainSigner => ({ address: pair.address, sign: async (message) => pair.sign(message) });

/**
 * The devnet as a real network on this machine: a subtensor-compatible chain
 * node, an S3 server that checks signatures and per-key bucket rights,
 * simulated peers and a validator, each joined through the same protocol
 * objects a real peer uses (its own key registered by extrinsic, its own
 * bucket published as a commitment). This machine's peer is not part of it:
 * it joins the devnet's URL like any network.
 */
export async function startLocalDevnet(options: LocalDevnetOptions): Promise<LocalDevnet> {
  const { root, logger } = options;
  const log = logger.child({ source: 'devnet' });
  await fs.mkdir(root, { recursive: true });
  await cryptoWaitReady();
  const host = options.host ?? '127.0.0.1';
  const base = options.manifest ?? devnetManifest();
  const tuned = options.tuneManifest ? options.tuneManifest(base) : base;
  const timing = tuned.windows;
  const node = await DevnetNode.start({
    stateFile: path.join(root, 'chain', 'state.json'),
    host,
    port: options.chainPort ?? 0,
    netuid: tuned.chain.netuid,
    blockMs: timing.blockSeconds * 1000,
    // Two windows per epoch: rewards follow the validator's weights within a minute.
    tempo: timing.blocksPerWindow * 2,
    burn: TAO,
    emissionPerTempo: TAO,
    onError: (error) => log.error({ err: error }, 'devnet node error'),
  });
  const storage = await DevnetS3.start({ root: path.join(root, 'storage'), host, port: options.storagePort ?? 0 });
  const publicHost = options.publicHost ?? host;
  const url = node.url.replace(host, publicHost);
  const storageEndpoint = storage.endpoint.replace(host, publicHost);
  // Served to other machines, the run is named by its endpoint; in the app it is "devnet". Either way it is on this chain only.
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const validatorKey = keyring.addFromUri('//Ferdie');
  // The validator follows the global model: it publishes the run's checkpoints, from which a late joiner starts.
  const checkpoints = options.validator !== false ? { ...tuned.checkpoints, publisher: validatorKey.address } : tuned.checkpoints;
  const named: RunManifest = { ...tuned, checkpoints, chain: { ...tuned.chain, network: options.publicHost ? url : tuned.chain.network, genesisHash: node.genesisHash } };
  // The run is published like any: signed by its owner's key, and checked by whoever joins it (this machine's peer too).
  const owner = keyring.addFromUri(DEVNET_OWNER_URI);
  const signedManifest = await signManifest(JSON.parse(JSON.stringify(named)) as Record<string, unknown>, signerOf(owner), 'devnet manifest');
  const { manifest } = await verifySignedManifest(signedManifest, 'devnet manifest', owner.address);
  const chain = await SubtensorChain.open({ name: 'devnet', endpoint: node.url });
  const shards = localShards(manifest, { dataDir: root, trainerExecutable: options.trainerExecutable, corpusDir: options.corpusDir });

  const admit = async (name: string, keys: { coldkey: KeyringPair; hotkey: KeyringPair }): Promise<Admission> => {
    const netuid = manifest.chain.netuid;
    if ((await chain.balanceOf(keys.coldkey.address)) < NEWCOMER_FUNDS / 2n) await node.endow(keys.coldkey.address, NEWCOMER_FUNDS);
    const uid = await chain.register(netuid, keys.hotkey.address, signerOf(keys.coldkey));
    const bucket = bucketName(name);
    await storage.createBucket(bucket);
    const [write, read] = [await storage.issueKey({ bucket, access: 'write' }), await storage.issueKey({ bucket, access: 'read' })];
    return { uid, bucket: { endpoint: storageEndpoint, region: 'auto', bucket, forcePathStyle: true, write, read } };
  };

  const peers = new Map<string, NetworkRuntime>();
  /** The honest simulated peers' names, in the order they were started (the copiers' victims come first). */
  const honestPeers = new Set<string>();
  const closeAll: Array<() => Promise<void>> = [];
  const colluding = new ColludingPair();
  const join = async (name: string, pair: KeyringPair, adversary?: AdversaryKind, pairRole?: 'worker' | 'twin') => {
    // The copier reads its victim's bucket through its own directory, known once its runtime is up.
    let directory: NetworkRuntime['directory'] | null = null;
    const { bucket } = await admit(name, { coldkey: pair, hotkey: pair });
    const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
    const folder = path.join(root, 'peers', name);
    const route = (endpoint: string) => options.route?.(name, endpoint) ?? endpoint;
    const runtime = await createNetworkRuntime({
      manifest,
      chain,
      hotkey: signerOf(pair),
      storage: { write: new S3Storage({ ...location, endpoint: route(location.endpoint), ...bucket.write }), read: { ...location, ...bucket.read } },
      trainer: (uid) =>
        runTrainer({
          manifest,
          executable: options.trainerExecutable,
          dataDir: shards,
          checkpointFile: path.join(folder, 'trainer.safetensors'),
          spacedCheckpoints: true,
          peerId: adversarySamplerId(adversary, uid),
          logger: logger.child({ peer: name }),
          threads: 1,
        }),
      folder,
      logger: logger.child({ peer: name }),
      ...(options.route ? { openPeerStorage: (access: PeerReadAccess) => openReadOnly({ ...access, endpoint: route(access.endpoint) }) } : {}),
      ...(adversary
        ? {
            adapt: (_uid: number, honest: Parameters<typeof adversarialParts>[1]) =>
              adversarialParts(adversary, honest, {
                manifest,
                victimUids: [...honestPeers].map((honestName) => peers.get(honestName)?.uid ?? 0),
                peerStorage: (uid) => directory?.storageOf(uid),
                currentBlock: () => node.blockNumber,
                pair: colluding,
                random: seededRandom(((options.adversarySeed ?? 1) * 7919 + (ADVERSARY_KINDS.indexOf(adversary) + 1) * 104_729 + (pairRole === 'twin' ? 1 : 0)) >>> 0),
                ...(pairRole ? { pairRole } : {}),
              }),
          }
        : {}),
    });
    directory = runtime.directory;
    peers.set(name, runtime);
    closeAll.push(() => runtime.close());
  };

  let validator: ValidatorRuntime | null = null;
  let validatorTrainer: ReturnType<typeof runTrainer> | null = null;
  try {
    // The validator and the honest peers set up side by side (each signs its own extrinsics, so several land in one
    // block); the validator's stake gives it its permit at the first epoch, before the miners' first window is judged.
    const startValidator = async () => {
      const ferdie = validatorKey;
      const { bucket } = await admit('validator', { coldkey: ferdie, hotkey: ferdie });
      const location = { endpoint: bucket.endpoint, region: bucket.region, bucket: bucket.bucket, forcePathStyle: bucket.forcePathStyle };
      const route = (endpoint: string) => options.route?.('validator', endpoint) ?? endpoint;
      const stake = await chain.metagraph(manifest.chain.netuid).then((g) => g.neurons.find((n) => n.hotkey === ferdie.address)?.stake ?? 0n);
      if (stake < VALIDATOR_STAKE) await chain.addStake(ferdie.address, manifest.chain.netuid, VALIDATOR_STAKE - stake, signerOf(ferdie));
      const folder = path.join(root, 'validator');
      validatorTrainer = runTrainer({ manifest, executable: options.trainerExecutable, dataDir: shards, checkpointFile: path.join(folder, 'trainer.safetensors'), peerId: 'validator', logger: logger.child({ peer: 'validator' }), threads: 1 });
      validator = await createValidatorRuntime({
        manifest,
        chain,
        hotkey: signerOf(ferdie),
        trainer: validatorTrainer,
        folder,
        logger,
        publishing: {
          storage: { write: new S3Storage({ ...location, endpoint: route(location.endpoint), ...bucket.write }), read: { ...location, ...bucket.read } },
          checkpointFile: path.join(folder, 'trainer.safetensors'),
        },
        ...(options.route ? { openPeerStorage: (access: PeerReadAccess) => openReadOnly({ ...access, endpoint: options.route!('validator', access.endpoint) }) } : {}),
        ...(options.validatorSettings ? { settings: options.validatorSettings } : {}),
        ...(options.ratingPolicy ? { ratingPolicy: options.ratingPolicy } : {}),
        ...(options.onValidated ? { onValidated: options.onValidated } : {}),
      });
      closeAll.push(() => validator!.close());
    };
    const count = Math.min(options.simulatedPeers ?? DEFAULT_SIMULATED_PEERS, SIMULATED_NAMES.length);
    for (const name of SIMULATED_NAMES.slice(0, count)) honestPeers.add(name.toLowerCase());
    await Promise.all([
      ...(options.validator !== false ? [startValidator()] : []),
      ...SIMULATED_NAMES.slice(0, count).map((name) => join(name.toLowerCase(), keyring.addFromUri(`//${name}`))),
    ]);
    // Cheating peers come after the honest ones: the copiers' victims are the first honest peers. The colluders are two
    // peers: the one named after the kind trains, its twin uploads the same work.
    for (const kind of options.adversaries ?? []) {
      await join(kind, keyring.addFromUri(`//Mallory/${kind}`), kind, kind === 'colluders' ? 'worker' : undefined);
      if (kind === 'colluders') await join(`${kind}-twin`, keyring.addFromUri(`//Mallory/${kind}-twin`), kind, 'twin');
    }
  } catch (error) {
    for (const close of closeAll.reverse()) await close().catch(() => undefined);
    await chain.close();
    await storage.close();
    await node.close();
    throw error;
  }
  log.info({ url, storage: storageEndpoint, peers: peers.size, validator: validator !== null }, 'devnet started');

  return {
    url,
    storageEndpoint,
    manifest,
    signedManifest,
    node,
    storage,
    chain,
    peers,
    validator,
    admit,
    async startPeers() {
      await Promise.all([...peers.values()].map((p) => p.engine.join()));
    },
    async heldOutLoss(steps: number) {
      if (!validatorTrainer) throw new Error('the devnet runs no validator');
      return (await validatorTrainer.evaluate({ peerId: 'held-out', window: 0, steps, split: 'val' })).lossBefore;
    },
    async close() {
      // Every peer and the validator stop side by side (each waits for its own trainer).
      await Promise.all(closeAll.map((close) => close().catch((error: unknown) => log.warn({ err: error }, 'devnet part did not close cleanly'))));
      await chain.close();
      await storage.close();
      await node.close();
    },
  };
}

/** An S3 bucket name for a peer name (lowercase letters, digits and dashes). */
function bucketName(name: string): string {
  return `peer-${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}
