import type { StoragePort } from '../../ports/storage-port';
import type { RunManifest } from '../../ports/run-manifest';
import type { TrainerPort } from '../../ports/trainer-port';
import { ColludingTwin, ColludingWorker, type ColludingPair } from './colluding-pair';
import { CopyingTrainer } from './copying-trainer';
import { LateStorage } from './late-storage';
import { PartTimeTrainer } from './part-time-trainer';
import { RewritingTrainer } from './rewriting-trainer';
import { DesyncedTrainer, LyingSyncStorage } from './stale-model';
import { negatedAndScaled, noiseOfSameNorm, plusNoise, randomSubset } from './update-rewrites';

/**
 * Cheating peers for the devnet, so the validator can be tried against them.
 * Each is a small wrapper around the honest parts a simulated peer uses (its
 * trainer, its storage, the id that seeds its data sampler); the round
 * engine around them is the honest one.
 */
export const ADVERSARY_KINDS = [
  'free-rider',
  'resparsifier',
  'noisy-copier',
  'mixer',
  'colluders',
  'noise',
  'poisoner',
  'lazy',
  'part-timer',
  'late',
  'desynced',
  'sync-liar',
] as const;
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number];

export const ADVERSARY_DESCRIPTIONS: Record<AdversaryKind, string> = {
  'free-rider': "re-uploads another peer's update as its own",
  resparsifier: "uploads a random half of another peer's kept coordinates, re-encoded",
  'noisy-copier': "uploads another peer's update with noise of half its size added",
  mixer: "uploads the mean of two other peers' updates, re-encoded",
  colluders: 'two peers of one operator: one trains, the other uploads the same update at the same moment',
  noise: 'uploads a random update of plausible norm',
  poisoner: 'uploads its update negated and scaled up',
  lazy: 'trains on random data instead of its assignment',
  'part-timer': 'trains its own assignment for only a quarter of the inner steps',
  late: 'uploads after the deadline',
  desynced: 'stops applying the aggregate and trains an old model',
  'sync-liar': "stops applying the aggregate, and copies an in-sync peer's sync report as its own",
};

export function parseAdversaryKinds(text: string): AdversaryKind[] {
  const kinds = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const kind of kinds) {
    if (!(ADVERSARY_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown adversary "${kind}" (one of: ${ADVERSARY_KINDS.join(', ')})`);
  }
  return kinds as AdversaryKind[];
}

export interface AdversaryContext {
  manifest: RunManifest;
  /** The honest peers, in the order they joined: the copiers' victims are the first (and the mixer's the first two). */
  victimUids: readonly number[];
  peerStorage(uid: number): StoragePort | undefined;
  /** The chain's current block (for the late peer's deadline). */
  currentBlock(): number;
  now?: () => number;
  /** The hand-over between the two peers of the colluding pair (one per devnet). */
  pair: ColludingPair;
  /** The adversary's random choices (seeded by the devnet, so that a trial can be run again). */
  random: () => number;
  /** Which of the pair this peer is (colluders only): the worker, or the twin that uploads its work. */
  pairRole?: 'worker' | 'twin';
}

export interface PeerParts {
  trainer: TrainerPort;
  storage: StoragePort;
}

/**
 * The id that seeds a peer's data sampler (its trainer is made with it): an
 * honest peer's uid; the lazy peer draws batches nobody assigned it.
 */
export function adversarySamplerId(kind: AdversaryKind | undefined, uid: number): string {
  return kind === 'lazy' ? `lazy-random-${uid}` : String(uid);
}

/** Wraps an honest peer's trainer and storage so it behaves as the given adversary. */
export function adversarialParts(kind: AdversaryKind, honest: PeerParts, context: AdversaryContext): PeerParts {
  const { manifest } = context;
  const victim = context.victimUids[0] ?? 0;
  const copying = (sources: readonly number[]) => ({ manifest, sources, peerStorage: context.peerStorage });
  switch (kind) {
    case 'free-rider':
      return { ...honest, trainer: new CopyingTrainer(honest.trainer, copying([victim]), null) };
    case 'resparsifier':
      return { ...honest, trainer: new CopyingTrainer(honest.trainer, copying([victim]), (t) => randomSubset(t, 0.5, context.random)) };
    case 'noisy-copier':
      return { ...honest, trainer: new CopyingTrainer(honest.trainer, copying([victim]), (t) => plusNoise(t, 0.5, context.random)) };
    case 'mixer':
      return { ...honest, trainer: new CopyingTrainer(honest.trainer, copying(context.victimUids.slice(0, 2)), null) };
    case 'colluders':
      return { ...honest, trainer: context.pairRole === 'twin' ? new ColludingTwin(honest.trainer, context.pair, manifest) : new ColludingWorker(honest.trainer, context.pair) };
    case 'noise':
      return { ...honest, trainer: new RewritingTrainer(honest.trainer, manifest, (t) => noiseOfSameNorm(t, context.random)) };
    case 'poisoner':
      return { ...honest, trainer: new RewritingTrainer(honest.trainer, manifest, negatedAndScaled) };
    case 'lazy':
      // Its trainer already samples the wrong data (adversarySamplerId); the rest is honest.
      return honest;
    case 'part-timer':
      return { ...honest, trainer: new PartTimeTrainer(honest.trainer) };
    case 'late':
      return { ...honest, storage: new LateStorage(honest.storage, context) };
    case 'desynced':
      return { ...honest, trainer: new DesyncedTrainer(honest.trainer) };
    case 'sync-liar':
      return { trainer: new DesyncedTrainer(honest.trainer), storage: new LyingSyncStorage(honest.storage, { manifest, victimUid: victim, peerStorage: context.peerStorage }) };
  }
}
