import fs from 'node:fs';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import type { RoundState } from '../../contract/domains/round';
import { validatePayload } from '../codec';
import type { ChainSigner } from '../chain/chain-port';
import { RoundLedger } from '../ledger/round-ledger';
import type { Logger } from '../logging/logger';
import { readFileIfExists, writeFileAtomically } from '../platform/atomic-file';
import { NativeTrainer } from '../round/native-trainer';
import { RoundEngine } from '../round/round-engine';
import type { RoundRuntime } from '../round/round-module';
import type { TrainerPort } from '../round/trainer-port';
import type { RunManifest } from '../run/manifest';
import { FilesystemStorage } from '../storage/filesystem-storage';
import { withLinkCaps, type LinkCaps } from '../storage/paced-storage';
import type { StoragePort } from '../storage/storage-port';
import type { SupervisorState } from '../supervisor/process-supervisor';
import { EarningsTracker } from '../earnings/earnings-tracker';
import { DevnetChain } from './devnet-chain';
import { devnetManifest } from './devnet-manifest';
import { DevnetValidator, type ValidatorSettings, type WindowReport } from '../validator/devnet-validator';
import { RatingBook, type RatingPolicy } from '../validator/rating-book';
import { PeerTraffic } from '../network/peer-traffic';
import { localShards } from '../run/local-shards';
import { trainerModel, trainerSettings, type TrainerDevice } from '../run/trainer-config';
import { adversarialParts, adversarySamplerId, type AdversaryKind } from './adversarial-peers';

export interface DevnetRuntimeOptions {
  /** Folder of everything the devnet keeps (chain, storage, shards, peers). */
  root: string;
  trainerExecutable: string;
  /** The bundled corpus (native/data/sotu). */
  corpusDir: string;
  logger: Logger;
  onState(state: RoundState): void;
  /** Simulated peers besides this machine. */
  simulatedPeers?: number;
  /** Environment for this machine's trainer (the chosen GPUs). */
  trainerEnv?: Record<string, string>;
  /** CPU threads for this machine's trainer (Settings → limits); the simulated peers use one each. */
  trainerThreads?: number;
  /** Where this machine's trainer runs (Settings → Train on); the simulated peers and the validator stay on the CPU. */
  trainerDevice?: TrainerDevice;
  /** Upload and download caps for this machine's transfers (Settings → limits). */
  linkCaps?: LinkCaps;
  onTrainerSupervisor?(state: SupervisorState): void;
  /**
   * How `viewer` (a peer's name, or 'validator') reaches the objects of peer
   * `uid`; by default a folder per peer. The round benchmark routes each
   * viewer through its own throttled link to an S3 server.
   */
  storage?(uid: number, viewer: string): StoragePort;
  /** Upload and gather of a window while the next one trains (the default); false runs them in turn. */
  overlapCommunication?: boolean;
  /** Adjusts the devnet manifest (the round benchmark sizes its windows). */
  tuneManifest?(manifest: RunManifest): RunManifest;
  /** Cheating simulated peers, one per entry (to try the validator against; off by default). */
  adversaries?: readonly AdversaryKind[];
  /** Another run manifest than the embedded one (benchmarks). */
  manifest?: RunManifest;
  validatorSettings?: Partial<ValidatorSettings>;
  ratingPolicy?: RatingPolicy;
  onValidated?(report: WindowReport): void;
}

const SIMULATED_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve'];

const signerOf = (pair: KeyringPair): ChainSigner => ({ address: pair.address, sign: async (message) => pair.sign(message) });

/** This machine's devnet identity: a throwaway key kept in the devnet folder (never a real wallet). */
async function localIdentity(root: string, keyring: Keyring): Promise<KeyringPair> {
  const file = path.join(root, 'identity.json');
  let mnemonic = (await readFileIfExists(file)) ? (JSON.parse((await readFileIfExists(file)) as string) as { mnemonic: string }).mnemonic : undefined;
  if (!mnemonic) {
    mnemonic = mnemonicGenerate(12);
    await writeFileAtomically(file, `${JSON.stringify({ note: 'devnet-only key, worthless outside the local devnet', mnemonic })}\n`, { mode: 0o600 });
  }
  return keyring.addFromUri(mnemonic);
}

/**
 * Builds the local devnet and this machine's place in it: the embedded chain,
 * a storage folder per peer, token shards of the bundled corpus, simulated
 * peers running their own CPU trainers, and this machine's round engine.
 */
export interface DevnetRuntime extends RoundRuntime {
  /** The embedded chain, for the chain module to read rank and rewards from. */
  chain: DevnetChain;
  /** This machine's devnet hotkey (a throwaway identity, not the wallet's). */
  selfHotkey: string;
  /** What this machine received from each peer. */
  traffic: PeerTraffic;
  /** The validator's rating of a uid, null before it scored it. */
  ratingOf(uid: number): number | null;
  validator: DevnetValidator;
  ratings: RatingBook;
  /** Uid of each simulated peer by name (adversaries are named after their kind). */
  peers: Map<string, number>;
  /** Mean loss of the global (validator's) model on held-out batches. */
  heldOutLoss(steps: number): Promise<number>;
}

export async function createDevnetRuntime(options: DevnetRuntimeOptions): Promise<DevnetRuntime> {
  const { root, logger } = options;
  const log = logger.child({ source: 'devnet' });
  const base = options.manifest ?? devnetManifest(root);
  const manifest = options.tuneManifest ? options.tuneManifest(base) : base;
  await fs.promises.mkdir(root, { recursive: true });
  const shards = localShards(manifest, { dataDir: root, trainerExecutable: options.trainerExecutable, corpusDir: options.corpusDir });
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const chain = await DevnetChain.open({
    file: path.join(root, 'chain.json'),
    netuid: manifest.chain.netuid,
    blockMs: manifest.windows.blockSeconds * 1000,
    tempo: manifest.windows.blocksPerWindow * 2,
    minerEmissionPerTempo: 1_000_000_000n,
  });
  const folderOf = (uid: number): StoragePort => new FilesystemStorage(path.join(manifest.storage?.kind === 'filesystem' ? manifest.storage.root : root, 'peers', String(uid)));
  const storageSeenBy = (viewer: string) => (uid: number) => (options.storage ? options.storage(uid, viewer) : folderOf(uid));
  const validate = async (bytes: Uint8Array) => {
    const verdict = await validatePayload(bytes, { expectedK: manifest.sparseloco.topK });
    return verdict.ok ? ({ ok: true } as const) : ({ ok: false, reason: `${verdict.field}: ${verdict.message}` } as const);
  };

  const engines: Array<{ engine: RoundEngine; trainer: NativeTrainer }> = [];
  const peerUids = new Map<string, number>();
  const makePeer = async (pair: KeyringPair, name: string, extras: { onState?: (s: RoundState) => void; adversary?: AdversaryKind; own?: Pick<DevnetRuntimeOptions, 'trainerEnv' | 'onTrainerSupervisor' | 'trainerThreads' | 'trainerDevice' | 'linkCaps'> } = {}) => {
    const { onState, adversary, own } = extras;
    const uid = await chain.register(manifest.chain.netuid, pair.address, signerOf(pair));
    peerUids.set(name, uid);
    const dir = path.join(root, 'peers', name);
    const nativeTrainer = new NativeTrainer({
      executable: options.trainerExecutable,
      model: trainerModel(manifest.model),
      train: trainerSettings(manifest),
      dataDir: shards,
      checkpointFile: path.join(dir, 'trainer.safetensors'),
      peerId: adversarySamplerId(adversary, uid),
      logger: logger.child({ peer: name }),
      threads: own?.trainerThreads ?? 1,
      ...(own?.trainerEnv ? { env: own.trainerEnv } : {}),
      ...(own?.trainerDevice ? { backend: own.trainerDevice.backend, ...(own.trainerDevice.devices ? { devices: own.trainerDevice.devices } : {}) } : {}),
      ...(own?.onTrainerSupervisor ? { onSupervisorState: own.onTrainerSupervisor } : {}),
    });
    nativeTrainer.start();
        // This machine's transfers keep to the caps in Settings; the simulated peers' are not ours to cap.
    const reach = (u: number) => withLinkCaps(storageSeenBy(name)(u), own?.linkCaps);
    const honest = { trainer: nativeTrainer as TrainerPort, storage: reach(uid) };
    const { trainer, storage } = adversary
      ? adversarialParts(adversary, honest, { manifest, victimUid: peerUids.values().next().value ?? 0, peerStorage: storageSeenBy(name), currentBlock: () => chain.currentBlock() })
      : honest;
    const ledger = new RoundLedger(path.join(dir, 'rounds.ndjson'));
    const engine = new RoundEngine({
      manifest,
      chain,
      self: { uid, hotkey: pair.address },
      storage,
      peerStorage: reach,
      trainer,
      validatePayload: validate,
      ledger,
      workDir: path.join(dir, 'work'),
      logger: logger.child({ peer: name }),
      ...(options.overlapCommunication === undefined ? {} : { overlapCommunication: options.overlapCommunication }),
      ...(onState ? { onState } : {}),
      // Only this machine's own gathers feed the Network page.
      ...(name === 'me' ? { onGather: (window: number, peers: Parameters<PeerTraffic['record']>[1]) => traffic.record(window, peers) } : {}),
    });
    engines.push({ engine, trainer: nativeTrainer });
    return { engine, ledger, trainer: nativeTrainer, uid, dir };
  };

  // What this machine received from each peer (filled by its engine's gathers, read by makePeer's hook above).
  const traffic = new PeerTraffic();
  const count = Math.min(options.simulatedPeers ?? 3, SIMULATED_NAMES.length);
  for (const name of SIMULATED_NAMES.slice(0, count)) {
    const { engine } = await makePeer(keyring.addFromUri(`//${name}`), name.toLowerCase());
    await engine.join();
  }
  const selfPair = await localIdentity(root, keyring);
  const self = await makePeer(selfPair, 'me', { ...(options.onState ? { onState: options.onState } : {}), own: options });
  for (const kind of options.adversaries ?? []) {
    const { engine } = await makePeer(keyring.addFromUri(`//Mallory/${kind}`), kind, { adversary: kind });
    await engine.join();
  }
  // Epoch by epoch, what the chain paid goes into this machine's ledger, round by round.
  const earnings = await EarningsTracker.open({
    chain,
    netuid: manifest.chain.netuid,
    uid: self.uid,
    ledger: self.ledger,
    tempo: manifest.windows.blocksPerWindow * 2,
    file: path.join(self.dir, 'payouts.json'),
    logger,
  });
  const stopEarnings = await chain.subscribeBlocks((block) => void earnings.onBlock(block.number));

  // The validator: its own trainer evaluates every update, then follows the global model.
  const validatorPair = keyring.addFromUri('//Ferdie');
  const validatorSigner = signerOf(validatorPair);
  const validatorUid = await chain.register(manifest.chain.netuid, validatorPair.address, validatorSigner, { validator: true });
  const validatorDir = path.join(root, 'validator');
  const validatorTrainer = new NativeTrainer({
    executable: options.trainerExecutable,
    model: trainerModel(manifest.model),
    train: trainerSettings(manifest),
    dataDir: shards,
    checkpointFile: path.join(validatorDir, 'trainer.safetensors'),
    peerId: 'validator',
    logger: logger.child({ peer: 'validator' }),
    threads: 1,
  });
  validatorTrainer.start();
  const ratingsFile = path.join(validatorDir, 'ratings.json');
  const ratings = await RatingBook.load(ratingsFile, options.ratingPolicy);
  const validator = new DevnetValidator({
    manifest,
    chain,
    signer: validatorSigner,
    uid: validatorUid,
    peerStorage: storageSeenBy('validator'),
    trainer: validatorTrainer,
    validatePayload: validate,
    ratings,
    ratingsFile,
    workDir: path.join(validatorDir, 'work'),
    logger,
    ...(options.validatorSettings ? { settings: options.validatorSettings } : {}),
    ...(options.onValidated ? { onValidated: options.onValidated } : {}),
  });
  await validator.start();
  log.info({ peers: count + 1, root }, 'devnet started');

  return {
    chain,
    selfHotkey: selfPair.address,
    traffic,
    ratingOf: (uid) => {
      const record = ratings.all().find((p) => p.uid === uid);
      return record && record.windowsScored > 0 ? ratings.ordinalOf(uid) : null;
    },
    engine: self.engine,
    ledger: self.ledger,
    trainer: self.trainer,
    payouts: () => earnings.payouts,
    validator,
    ratings,
    peers: peerUids,
    async heldOutLoss(steps: number) {
      return (await validatorTrainer.evaluate({ peerId: 'held-out', window: 0, steps, split: 'val' })).lossBefore;
    },
    async close() {
      stopEarnings();
      await validator.stop();
      await Promise.all(engines.map(({ engine }) => engine.leave('now')));
      await Promise.all([...engines.map(({ trainer }) => trainer.stop()), validatorTrainer.stop()]);
      await chain.close();
    },
  };
}
