import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import type { RoundState } from '../../contract/domains/round';
import type { Logger } from '../core/logging/logger';
import { readFileIfExists, writeFileAtomically } from '../platform/atomic-file';
import { joinNetwork } from '../network/join-network';
import { verifySignedManifest, type VerifiedManifest } from '../services/run/signed-manifest';
import type { RunManifest } from '../ports/run-manifest';
import type { NetworkRuntime } from '../network/network-runtime';
import type { TrainerDevice } from '../adapters/trainer/trainer-config';
import type { LinkCaps } from '../adapters/storage/paced-storage';
import type { SupervisorState } from '../adapters/process/process-supervisor';
import type { DevnetValidator } from '../services/validator/devnet-validator';
import type { ValidatorSettings } from '../services/validator/validator-settings';
import type { WindowReport } from '../services/validator/window-report';
import type { RatingBook, RatingPolicy } from '../services/validator/rating-book';
import type { AdversaryKind } from './adversaries/adversary-kinds';
import { DEVNET_OWNER_URI, signerOf, startLocalDevnet, type LocalDevnet } from './local-devnet';

export interface DevnetRuntimeOptions {
  /** Folder of everything the devnet keeps (chain, buckets, shards, peers). */
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
  /** Port of the devnet's S3 server (default: a free one); the round benchmark puts its shaped links in front of it. */
  storagePort?: number;
  /** The route `viewer` (a peer's name, 'me' or 'validator') takes to an S3 endpoint; the round benchmark shapes each. */
  route?(viewer: string, endpoint: string): string;
  /** Adjusts the devnet manifest (the round benchmark sizes its windows). */
  tuneManifest?(manifest: RunManifest): RunManifest;
  /** Cheating simulated peers, one per entry (to try the validator against; off by default). */
  adversaries?: readonly AdversaryKind[];
  /** Seeds the adversaries' random choices (default 1). */
  adversarySeed?: number;
  /** Another run manifest than the embedded one (benchmarks). */
  manifest?: RunManifest;
  validatorSettings?: Partial<ValidatorSettings>;
  ratingPolicy?: RatingPolicy;
  onValidated?(report: WindowReport): void;
}

/**
 * The local devnet with this machine in it: the devnet (chain node, S3
 * server, simulated peers, validator) on this machine, and this machine's
 * peer joined to it through the same path as any real network (joinNetwork:
 * its chain endpoint, its own key registered by extrinsic, its own bucket).
 */
export interface DevnetRuntime extends NetworkRuntime {
  devnet: LocalDevnet;
  /** The run's manifest as this machine checked it (signed by the devnet's owner key). */
  verified: VerifiedManifest;
  /** This machine's devnet hotkey (a throwaway identity, not the wallet's). */
  selfHotkey: string;
  /** The validator's rating of a uid, null before it scored it. */
  ratingOf(uid: number): number | null;
  validator: DevnetValidator;
  ratings: RatingBook;
  /** Uid of each peer by name (this machine is "me"; adversaries are named after their kind). */
  peers: Map<string, number>;
  /** Mean loss of the global (validator's) model on held-out batches. */
  heldOutLoss(steps: number): Promise<number>;
}

/** This machine's devnet identity: a throwaway key kept in the devnet folder (never a real wallet). */
async function localIdentity(root: string, keyring: Keyring): Promise<KeyringPair> {
  const file = path.join(root, 'identity.json');
  const text = await readFileIfExists(file);
  let mnemonic = text ? (JSON.parse(text) as { mnemonic?: string }).mnemonic : undefined;
  if (!mnemonic) {
    mnemonic = mnemonicGenerate(12);
    await writeFileAtomically(file, `${JSON.stringify({ note: 'devnet-only key, worthless outside the local devnet', mnemonic })}\n`, { mode: 0o600 });
  }
  return keyring.addFromUri(mnemonic);
}

export async function createDevnetRuntime(options: DevnetRuntimeOptions): Promise<DevnetRuntime> {
  const { root, logger } = options;
  const devnet = await startLocalDevnet({
    root,
    trainerExecutable: options.trainerExecutable,
    corpusDir: options.corpusDir,
    logger,
    ...(options.simulatedPeers === undefined ? {} : { simulatedPeers: options.simulatedPeers }),
    ...(options.adversaries ? { adversaries: options.adversaries } : {}),
    ...(options.adversarySeed === undefined ? {} : { adversarySeed: options.adversarySeed }),
    ...(options.manifest ? { manifest: options.manifest } : {}),
    ...(options.tuneManifest ? { tuneManifest: options.tuneManifest } : {}),
    ...(options.validatorSettings ? { validatorSettings: options.validatorSettings } : {}),
    ...(options.ratingPolicy ? { ratingPolicy: options.ratingPolicy } : {}),
    ...(options.onValidated ? { onValidated: options.onValidated } : {}),
    ...(options.route ? { route: options.route } : {}),
    ...(options.storagePort === undefined ? {} : { storagePort: options.storagePort }),
  });
  try {
    await cryptoWaitReady();
    const identity = await localIdentity(root, new Keyring({ type: 'sr25519', ss58Format: 42 }));
    // This machine reads the run as published, like a peer on any network: the owner's signature first.
    const verified = await verifySignedManifest(devnet.signedManifest, 'the devnet\u2019s run manifest', new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(DEVNET_OWNER_URI).address);
    const { bucket } = await devnet.admit('me', { coldkey: identity, hotkey: identity });
    const joined = await joinNetwork({
      target: devnet.url,
      chainName: 'devnet',
      manifest: verified.manifest,
      hotkey: signerOf(identity),
      bucket,
      folder: path.join(root, 'peers', 'me'),
      dataDir: root,
      trainerExecutable: options.trainerExecutable,
      corpusDir: options.corpusDir,
      logger,
      onState: options.onState,
      ...(options.linkCaps ? { linkCaps: options.linkCaps } : {}),
      ...(options.trainerThreads === undefined ? {} : { trainerThreads: options.trainerThreads }),
      ...(options.trainerDevice ? { trainerDevice: options.trainerDevice } : {}),
      ...(options.trainerEnv ? { trainerEnv: options.trainerEnv } : {}),
      ...(options.onTrainerSupervisor ? { onTrainerSupervisor: options.onTrainerSupervisor } : {}),
      ...(options.route ? { route: (endpoint: string) => options.route!('me', endpoint) } : {}),
    });
    // This machine and the simulated peers start together, so they all take the same first window (the engines decide
    // on the same blocks) and hold the same model from it on.
    await Promise.all([devnet.startPeers(), joined.engine.join()]);
    const validator = devnet.validator;
    if (!validator) throw new Error('the devnet started without its validator');
    const peers = new Map([...devnet.peers].map(([name, runtime]) => [name, runtime.uid] as const));
    peers.set('me', joined.uid);
    return {
      ...joined,
      devnet,
      verified: { ...verified, source: 'the embedded devnet (signed when it started)' },
      selfHotkey: identity.address,
      ratingOf: (uid) => {
        const record = validator.ratings.all().find((p) => p.uid === uid);
        return record && record.windowsScored > 0 ? validator.ratings.ordinalOf(uid) : null;
      },
      validator: validator.validator,
      ratings: validator.ratings,
      peers,
      heldOutLoss: (steps) => devnet.heldOutLoss(steps),
      async close() {
        await joined.close();
        await devnet.close();
      },
    };
  } catch (error) {
    await devnet.close();
    throw error;
  }
}
