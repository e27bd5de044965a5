import fs from 'node:fs/promises';
import { decodePayload, encodeTensors, type DecodedTensor } from '../adapters/codec';
import { parseGradientKey, gradientKey } from '../ports/object-keys';
import type { StorageCallOptions, StoragePort } from '../ports/storage-port';
import type { RunManifest } from '../ports/run-manifest';
import type { ApplyOuterRequest, ApplyOuterResult, StepProgress, TrainerPort, TrainWindowRequest, TrainWindowResult } from '../ports/trainer-port';
import { standardNormal } from '../core/standard-normal';

/**
 * Cheating peers for the devnet, so the validator can be tried against them.
 * Each is a small wrapper around the honest parts a simulated peer uses (its
 * trainer, its storage, the id that seeds its data sampler); the round
 * engine around them is the honest one.
 */
export const ADVERSARY_KINDS = ['free-rider', 'noise', 'poisoner', 'lazy', 'late', 'desynced'] as const;
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number];

export const ADVERSARY_DESCRIPTIONS: Record<AdversaryKind, string> = {
  'free-rider': "re-uploads another peer's update as its own",
  noise: 'uploads a random update of plausible norm',
  poisoner: 'uploads its update negated and scaled up',
  lazy: 'trains on random data instead of its assignment',
  late: 'uploads after the deadline',
  desynced: 'stops applying the aggregate and trains an old model',
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
  /** The peer whose uploads a free-rider copies. */
  victimUid: number;
  peerStorage(uid: number): StoragePort | undefined;
  /** The chain's current block (for the late peer's deadline). */
  currentBlock(): number;
  now?: () => number;
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
  switch (kind) {
    case 'free-rider':
      return { ...honest, trainer: new FreeRiderTrainer(honest.trainer, context) };
    case 'noise':
      return { ...honest, trainer: new RewritingTrainer(honest.trainer, context.manifest, noiseOfSameNorm) };
    case 'poisoner':
      return { ...honest, trainer: new RewritingTrainer(honest.trainer, context.manifest, negatedAndScaled) };
    case 'lazy':
      // Its trainer already samples the wrong data (adversarySamplerId); the rest is honest.
      return honest;
    case 'late':
      return { ...honest, storage: new LateStorage(honest.storage, context) };
    case 'desynced':
      return { ...honest, trainer: new DesyncedTrainer(honest.trainer) };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * An honest trainer passed through: each adversary overrides only the step it
 * cheats on (train, or apply), so what it does differently stands alone.
 */
class PassThroughTrainer implements TrainerPort {
  /** The inner trainer's staging, when it has one: the gather's check stays the trainer's. */
  readonly stagePayload?: TrainerPort['stagePayload'];
  readonly unstage?: TrainerPort['unstage'];

  constructor(protected readonly inner: TrainerPort) {
    if (inner.stagePayload) this.stagePayload = (request) => inner.stagePayload!(request);
    if (inner.unstage) this.unstage = (keys) => inner.unstage!(keys);
  }

  trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    return this.inner.trainWindow(request, onStep);
  }

  applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    return this.inner.applyOuter(request);
  }

  revertWindow(window: number): Promise<void> {
    return this.inner.revertWindow(window);
  }

  checkpoint(window: number): Promise<void> {
    return this.inner.checkpoint(window);
  }
}

/** Copies the victim's upload instead of training. */
class FreeRiderTrainer extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly context: AdversaryContext,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest): Promise<TrainWindowResult> {
    const { manifest, victimUid } = this.context;
    const storage = this.context.peerStorage(victimUid);
    if (!storage) throw new Error(`free-rider: no storage for victim ${victimUid}`);
    const key = gradientKey(request.window, victimUid, manifest.protocolVersion);
    const timing = manifest.windows;
    const giveUp = Date.now() + (timing.blocksPerWindow * timing.blockSeconds + timing.uploadDeadlineSeconds) * 1000;
    while (Date.now() < giveUp) {
      const bytes = await storage.get(key);
      if (bytes) {
        await fs.writeFile(request.payloadFile, bytes);
        // No training happened; the ledger still wants a loss, so it makes one up.
        return { payloadFile: request.payloadFile, loss: 0, steps: 0, tokens: 0, computeSeconds: 0 };
      }
      await sleep(250);
    }
    throw new Error(`free-rider: peer ${victimUid} uploaded nothing to copy in window ${request.window}`);
  }
}

type Rewrite = (tensors: DecodedTensor[]) => DecodedTensor[];

/** Trains honestly, then replaces the update with a rewritten one before it is uploaded. */
class RewritingTrainer extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly manifest: RunManifest,
    private readonly rewrite: Rewrite,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    const result = await this.inner.trainWindow(request, onStep);
    const tensors = await decodePayload(new Uint8Array(await fs.readFile(result.payloadFile)));
    const { topK, chunkSize } = this.manifest.sparseloco;
    const rewritten = await encodeTensors(this.rewrite(tensors), { k: topK, blockSize: Math.round(Math.sqrt(chunkSize)) });
    await fs.writeFile(result.payloadFile, rewritten);
    return result;
  }
}

/** Scale applied by the poisoner before encoding (the aggregate clips it back to the median norm). */
export const POISON_SCALE = 4;

export function negatedAndScaled(tensors: DecodedTensor[]): DecodedTensor[] {
  return tensors.map((t) => ({ ...t, data: t.data.map((v) => -POISON_SCALE * v) }));
}

/**
 * Gaussian noise on the update's own support (the coordinates it kept),
 * scaled to the update's norm per tensor: the same size and sparsity as an
 * honest update, no information.
 */
export function noiseOfSameNorm(tensors: DecodedTensor[], random: () => number = Math.random): DecodedTensor[] {
  const gaussian = () => standardNormal(random);
  return tensors.map((t) => {
    const data = new Float32Array(t.data.length);
    let normIn = 0;
    let normOut = 0;
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i] as number;
      if (v === 0) continue;
      const g = gaussian();
      data[i] = g;
      normIn += v * v;
      normOut += g * g;
    }
    const scale = normOut > 0 ? Math.sqrt(normIn / normOut) : 0;
    for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) * scale;
    return { ...t, data };
  });
}

/** Applies one aggregate (to have a digest to report), then never again: its model goes stale. */
class DesyncedTrainer extends PassThroughTrainer {
  private frozen: ApplyOuterResult | null = null;

  override async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    if (!this.frozen) this.frozen = await this.inner.applyOuter(request);
    return { ...this.frozen, computeSeconds: 0 };
  }
}

/** Holds each update back until just after the window's upload deadline. */
class LateStorage implements StoragePort {
  readonly name: string;

  constructor(
    private readonly inner: StoragePort,
    private readonly context: AdversaryContext,
  ) {
    this.name = inner.name;
  }

  async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    const parts = parseGradientKey(key);
    if (parts) {
      const timing = this.context.manifest.windows;
      const blockMs = timing.blockSeconds * 1000;
      const now = this.context.now ?? Date.now;
      const windowEnd = now() + ((parts.window + 1) * timing.blocksPerWindow - this.context.currentBlock()) * blockMs;
      const deadline = windowEnd + (timing.uploadDeadlineSeconds + timing.uploadGraceSeconds) * 1000;
      // One block past the deadline, whatever the caller's own timeout says.
      await sleep(Math.max(0, deadline + blockMs - now()));
      return this.inner.put(key, data);
    }
    return this.inner.put(key, data, options);
  }

  get: StoragePort['get'] = (key, options) => this.inner.get(key, options);
  head: StoragePort['head'] = (key, options) => this.inner.head(key, options);
  list: StoragePort['list'] = (prefix, options) => this.inner.list(prefix, options);
  delete: StoragePort['delete'] = (keys, options) => this.inner.delete(keys, options);
}
