import { z } from 'zod';
import { describeIssues, issuesFromZod } from '../../contract';

/**
 * The run manifest: everything a peer must agree on to train together. It is
 * versioned and strict so a peer never trains with a field it misread.
 * Defaults are the published Covenant-72B / Templar figures
 * (../shared/reference/protocol.md) unless a field says otherwise.
 */
export const MANIFEST_VERSION = 1;

export const ModelConfig = z
  .object({
    vocabSize: z.number().int().min(2),
    hiddenSize: z.number().int().min(1),
    layers: z.number().int().min(1),
    heads: z.number().int().min(1),
    kvHeads: z.number().int().min(1),
    ffnSize: z.number().int().min(1),
    sequenceLength: z.number().int().min(2),
    tiedEmbeddings: z.boolean().default(false),
    ropeTheta: z.number().positive().default(10000),
    normEps: z.number().positive().default(1e-5),
    /** Seeds the model's initialisation: every peer starts from the same weights, and another seed is another run. */
    initSeed: z.number().int().nonnegative().default(1),
  })
  .strict()
  .refine((m) => m.hiddenSize % m.heads === 0, { message: 'hiddenSize must be a multiple of heads', path: ['hiddenSize'] })
  .refine((m) => m.heads % m.kvHeads === 0, { message: 'heads must be a multiple of kvHeads', path: ['kvHeads'] });
export type ModelConfig = z.infer<typeof ModelConfig>;

export const InnerOptimizer = z
  .object({
    lr: z.number().positive().default(1.17e-4),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.95),
    weightDecay: z.number().min(0).default(0.1),
    gradClip: z.number().positive().default(1.0),
    warmupSteps: z.number().int().min(0).default(250),
    /** Micro-batches accumulated into one inner step. */
    gradAccumulation: z.number().int().min(1).default(1),
    /** Sequences per inner step across the accumulation. */
    batchSize: z.number().int().min(1).default(8),
  })
  .strict();

export const SparseLoCoConfig = z
  .object({
    /** Inner steps per window (H). */
    innerSteps: z.number().int().min(1).default(30),
    chunkSize: z.number().int().min(16).max(65536).default(4096),
    topK: z.number().int().min(1).default(64),
    errorFeedbackBeta: z.number().min(0).max(1).default(0.95),
    quantizationBits: z.literal(2).default(2),
    outerLr: z.number().positive().default(0.4),
  })
  .strict()
  .refine((s) => s.topK <= s.chunkSize, { message: 'topK cannot exceed chunkSize', path: ['topK'] });

export const WindowTiming = z
  .object({
    blocksPerWindow: z.number().int().min(1).default(115),
    /** Expected seconds per block; used only for estimates and the devnet clock. */
    blockSeconds: z.number().positive().default(12),
    /** Uploads must land within this long after the window ends. */
    uploadDeadlineSeconds: z.number().positive().default(70),
    uploadGraceSeconds: z.number().min(0).default(3),
    perPeerTimeoutSeconds: z.number().positive().default(90),
    gatherCapSeconds: z.number().positive().default(600),
    /** Peers whose updates are gathered each window, plus reserves tried when one fails. */
    gatherPeers: z.number().int().min(1).default(15),
    /** Validators send set_weights after every this many validated windows (mind the subnet's rate limit). */
    setWeightsEveryWindows: z.number().int().min(1).default(1),
    reservePeers: z.number().int().min(0).default(5),
    /**
     * Whether a window's upload and gather run while the next window trains
     * (its aggregate then lands one window late: each window is trained from
     * the model before the last aggregate). A run's choice, the same for every
     * peer: a large model needs the overlap to keep its GPUs busy; a small one
     * whose communication takes a moment learns faster without the delay
     * (bench:trust, the devnet's model: held-out loss 33 % higher overlapped).
     */
    overlapCommunication: z.boolean().default(true),
  })
  .strict();

export const StorageEndpoint = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('filesystem'), root: z.string().min(1) }).strict(),
  z
    .object({
      kind: z.literal('s3'),
      endpoint: z.string().url(),
      region: z.string().default('auto'),
      bucket: z.string().min(3).max(63),
      forcePathStyle: z.boolean().default(true),
    })
    .strict(),
]);
export type StorageEndpoint = z.infer<typeof StorageEndpoint>;

export const ChainEndpoint = z
  .object({
    /** devnet runs the embedded ledger; anything else is a subtensor network name or ws(s):// URL. */
    network: z.string().min(1),
    netuid: z.number().int().min(0).max(65535),
    /**
     * The chain's genesis block hash: a run is on one chain, and an endpoint
     * that serves another (a testnet under finney's name, a reset devnet) is
     * refused before anything is trained or signed there. Signed manifests carry it.
     */
    genesisHash: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/, 'a 0x-prefixed 32-byte hash in lowercase hex')
      .optional(),
  })
  .strict();

/** One token shard a run trains on, downloaded by every peer that is assigned it and checked before use. */
export const ShardSpec = z
  .object({
    /** http(s):// or s3://bucket/key. */
    url: z.string().regex(/^(https?|s3):\/\/\S+$/, 'an http://, https:// or s3:// URL'),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    /** Token width on disk (llm.c .bin or .npy). */
    dtype: z.enum(['uint16', 'uint32']),
    split: z.enum(['train', 'val']),
  })
  .strict();
export type ShardSpec = z.infer<typeof ShardSpec>;

export const DataSource = z
  .object({
    /**
     * Token shards: `bundled:<corpus>` (a corpus that ships with the app,
     * tokenised on each machine the same way: the devnet's `bundled:sotu`), a
     * folder of llm.c .bin shards on this machine, or the list of shard URLs
     * with their sizes and hashes that a published run names.
     */
    shards: z.union([z.string().min(1), z.array(ShardSpec).min(1)]),
    /** Shards held out for evaluation only. */
    validationShards: z.string().min(1).optional(),
    /** Which tokenizer made the shards (`bytes`: the trainer's byte-level tokens, vocabulary 258). */
    tokenizer: z.string().min(1).max(128).default('bytes'),
    /** Train shards assigned to each peer per window when the run lists shard URLs (docs/PROTOCOL.md). */
    shardsPerPeer: z.number().int().min(1).default(2),
  })
  .strict()
  .refine((d) => typeof d.shards === 'string' || d.shards.some((s) => s.split === 'train'), { message: 'the shard list needs at least one train shard', path: ['shards'] });

/** The shared model every so many windows, for peers that join late or come back after a long absence. */
export const CheckpointPolicy = z
  .object({
    /** Windows between published checkpoints. */
    everyWindows: z.number().int().min(1).default(20),
    /**
     * The hotkey (SS58) that publishes the checkpoints into the bucket its
     * storage commitment names: usually the run's validator, which follows the
     * global model anyway. It is not counted as a miner. Without one, peers
     * catch up from the retained updates only.
     */
    publisher: z
      .string()
      .regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'an SS58 hotkey address')
      .optional(),
    /** Published checkpoints kept; older ones are deleted. */
    keep: z.number().int().min(1).default(3),
    /** The run's first weights, when it does not start from the model's seeded initialisation. */
    initial: z
      .object({ url: z.string().regex(/^(https?|s3):\/\/\S+$/, 'an http://, https:// or s3:// URL'), bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
      .strict()
      .optional(),
  })
  .strict();

export const RunManifest = z
  .object({
    version: z.literal(MANIFEST_VERSION),
    name: z.string().min(1).max(128),
    /** Protocol version carried in every storage key; peers on another version are ignored. */
    protocolVersion: z.string().regex(/^[0-9A-Za-z.-]{1,32}$/),
    model: ModelConfig,
    data: DataSource,
    optimizer: InnerOptimizer.prefault({}),
    sparseloco: SparseLoCoConfig.prefault({}),
    windows: WindowTiming.prefault({}),
    /**
     * One shared storage for every peer: the in-process test devnets only. On
     * a network every peer brings its own bucket and publishes it as a storage
     * commitment on chain (docs/PROTOCOL.md), so real runs leave this out.
     */
    storage: StorageEndpoint.optional(),
    chain: ChainEndpoint,
    /** Checked by the readiness preflight; shape owned by main/hardware. */
    requirements: z.record(z.string(), z.unknown()).default({}),
    /** Windows after which old objects are deleted. */
    retentionWindows: z.number().int().min(2).default(100),
    checkpoints: CheckpointPolicy.prefault({}),
    /** The oldest Tandem that may join: older apps refuse with a sentence instead of sending updates nobody can use. */
    minTandemVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a version like 0.2.0')
      .optional(),
    /** The update payload format (native/codec/FORMAT.md) every peer writes and reads. */
    payloadFormat: z.number().int().min(1).default(1),
  })
  .strict();
export type RunManifest = z.infer<typeof RunManifest>;

export class ManifestError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ManifestError';
  }
}

/** Parses a manifest, naming the bad field in the error. */
export function parseManifest(raw: unknown, source: string): RunManifest {
  const parsed = RunManifest.safeParse(raw);
  if (!parsed.success) throw new ManifestError(source, describeIssues(issuesFromZod(parsed.error)));
  return parsed.data;
}

export function parseManifestText(text: string, source: string): RunManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(source, `not valid JSON (${(error as Error).message})`);
  }
  return parseManifest(raw, source);
}

/**
 * Windows a peer replays before it needs a checkpoint: enough to reach the
 * newest one from anywhere between two (they come every `everyWindows`), at
 * least 10, and never more than the updates kept in the buckets.
 */
export function catchUpWindowsOf(manifest: RunManifest): number {
  return Math.min(manifest.retentionWindows - 1, Math.max(10, manifest.checkpoints.everyWindows + 2));
}
