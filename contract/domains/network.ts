import { z } from 'zod';
import { NoParams } from './app';

/**
 * The Network page: the run manifest this machine trains under, the peers it
 * trains with (rating, when last heard from, bytes received from each) and
 * the bandwidth each round used.
 */
export const ManifestSummary = z.object({
  name: z.string(),
  version: z.number().int(),
  protocolVersion: z.string(),
  model: z.object({
    layers: z.number().int(),
    hiddenSize: z.number().int(),
    heads: z.number().int(),
    vocabSize: z.number().int(),
    sequenceLength: z.number().int(),
  }),
  sparseloco: z.object({ innerSteps: z.number().int(), chunkSize: z.number().int(), topK: z.number().int(), outerLr: z.number() }),
  windows: z.object({ blocksPerWindow: z.number().int(), blockSeconds: z.number(), uploadDeadlineSeconds: z.number(), gatherPeers: z.number().int() }),
  chain: z.object({ network: z.string(), netuid: z.number().int() }),
  /** Where updates are exchanged, in words (a folder, a bucket). */
  storage: z.string(),
  /** The training data, in words (a bundled corpus, a folder, n shards of so many bytes). */
  data: z.string(),
  /** The run's checkpoints, in words (who publishes them, how often), for late joiners. */
  checkpoints: z.string(),
  /** The hotkey (SS58) whose signature on the manifest was checked; null for an unsigned file on this machine. */
  owner: z.string().nullable(),
  /** Where the manifest was read from (a path, a URL, or "built in"). */
  source: z.string(),
  /** sha256 of the canonical manifest (what the owner signed), hex. */
  digest: z.string(),
});
export type ManifestSummary = z.infer<typeof ManifestSummary>;

export const PeerRow = z.object({
  uid: z.number().int(),
  hotkey: z.string(),
  role: z.enum(['miner', 'validator']),
  /** This machine. */
  self: z.boolean(),
  incentive: z.number(),
  /** The validator's rating (OpenSkill ordinal, higher is better), where this app can see it. */
  rating: z.number().nullable(),
  /** Epoch ms of the last window whose update from this peer was used. */
  lastSeen: z.number().nullable(),
  lastWindow: z.number().int().nullable(),
  /** The outcome in the last window this peer was gathered in (not necessarily the newest window). */
  lastOutcome: z.enum(['accepted', 'rejected', 'missing', 'late', 'failed']).nullable(),
  /** Bytes downloaded from this peer since the app started. */
  bytes: z.number().nonnegative(),
  /**
   * Why this peer's updates cannot be used, when they cannot: its storage
   * commitment (missing, malformed, a format this app does not read) or the
   * last read of its bucket (a revoked key, a missing bucket, a bad payload),
   * or why it was left out of the newest window this machine gathered.
   */
  problem: z.string().nullable(),
});
export type PeerRow = z.infer<typeof PeerRow>;

export const BandwidthPoint = z.object({
  window: z.number().int(),
  bytesUp: z.number().nonnegative(),
  bytesDown: z.number().nonnegative(),
  uploadSeconds: z.number().nonnegative().nullable(),
  gatherSeconds: z.number().nonnegative().nullable(),
});
export type BandwidthPoint = z.infer<typeof BandwidthPoint>;

export const NetworkOverview = z.object({
  target: z.string(),
  joined: z.boolean(),
  manifest: ManifestSummary.nullable(),
  peers: z.array(PeerRow),
  bandwidth: z.array(BandwidthPoint),
  /** Why something is missing, in words, when it is. */
  note: z.string().nullable(),
  /** Warnings about this machine's own part in the run (e.g. a published read key that can write). */
  notices: z.array(z.string()),
});
export type NetworkOverview = z.infer<typeof NetworkOverview>;

export const networkMethods = {
  'network.overview': { params: NoParams, result: NetworkOverview },
} as const;

export const networkEvents = {} as const;
