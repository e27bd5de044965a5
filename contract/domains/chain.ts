import { z } from 'zod';

/**
 * The chain domain: connection health, the subnet as seen from the chain
 * (uids, incentive, emission, stake), this user's registration, rank and
 * rewards, and the two writes a miner makes (burned registration, commitment),
 * each in two steps: prepare (fee estimate, nothing signed) then confirm.
 *
 * Amounts are decimal strings of the chain's smallest unit (rao: 1 TAO = 1e9
 * rao) because JSON has no bigint; scores are floats in [0, 1].
 */

export const Rao = z.string().regex(/^\d+$/, 'expected a whole number of rao');

export const ChainHealth = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle'), reason: z.string() }),
  z.object({ state: z.literal('connecting'), endpoint: z.string().optional() }),
  z.object({ state: z.literal('connected'), endpoint: z.string(), bestBlock: z.number().int().nullable() }),
  z.object({ state: z.literal('reconnecting'), endpoint: z.string(), attempt: z.number().int(), lastError: z.string() }),
  z.object({ state: z.literal('failed'), reason: z.string() }),
]);
export type ChainHealthView = z.infer<typeof ChainHealth>;

export const NeuronView = z.object({
  uid: z.number().int().nonnegative(),
  hotkey: z.string(),
  coldkey: z.string().nullable(),
  stake: Rao,
  incentive: z.number(),
  consensus: z.number(),
  dividends: z.number(),
  emission: Rao,
  validatorPermit: z.boolean(),
  lastUpdate: z.number().int(),
  registeredAt: z.number().int().nullable(),
});
export type NeuronView = z.infer<typeof NeuronView>;

export const RewardEntry = z.object({
  /** Epoch (tempo) index on the subnet: floor((block + netuid + 1) / (tempo + 1)). */
  tempoIndex: z.number().int(),
  block: z.number().int(),
  emission: Rao,
  incentive: z.number(),
  rank: z.number().int().nullable(),
});
export type RewardEntry = z.infer<typeof RewardEntry>;

export const MyNeuron = z.object({
  hotkey: z.string(),
  registered: z.boolean(),
  uid: z.number().int().nullable(),
  /** Among miners (no validator permit), computed from incentive; 1 is best. */
  rank: z.object({ rank: z.number().int(), of: z.number().int() }).nullable(),
  incentive: z.number().nullable(),
  emissionPerTempo: Rao.nullable(),
  stake: Rao.nullable(),
  cumulativeRewards: Rao,
  recentRewards: z.array(RewardEntry),
  /**
   * Protection from replacement after registering (ImmunityPeriod): until
   * `endsAtBlock` nobody can take this uid; after it, when the subnet is full,
   * the next registration replaces the lowest-incentive neuron. `atRisk`: this
   * one would be it, with the incentives as they are. Null when not registered
   * or the chain does not say.
   */
  immunity: z.object({ periodBlocks: z.number().int(), endsAtBlock: z.number().int(), blocksLeft: z.number().int(), atRisk: z.boolean() }).nullable(),
});
export type MyNeuron = z.infer<typeof MyNeuron>;

export const ChainStatus = z.object({
  /** The configured target: devnet, local, test, finney or a URL. */
  target: z.string(),
  endpoint: z.string().nullable(),
  netuid: z.number().int().nonnegative(),
  health: ChainHealth,
  block: z.number().int().nullable(),
  /** Runtime spec version, when connected. */
  specVersion: z.number().int().nullable(),
  /** Neurons on the subnet at the last metagraph read. */
  subnetSize: z.number().int().nullable(),
  /** Seconds per block, measured from the blocks' own timestamps (null until two are seen). */
  blockSeconds: z.number().positive().nullable(),
  /** The subnet's immunity period in blocks (ImmunityPeriod), when the chain says. */
  immunityPeriodBlocks: z.number().int().nullable(),
  metagraphBlock: z.number().int().nullable(),
  me: MyNeuron.nullable(),
  /** Free balance of the active coldkey. */
  coldkeyBalance: Rao.nullable(),
  lastError: z.string().nullable(),
});
export type ChainStatus = z.infer<typeof ChainStatus>;

export const PreparedAction = z.object({
  token: z.string().regex(/^[0-9a-f]{32}$/),
  action: z.enum(['register', 'commit']),
  netuid: z.number().int(),
  /** Who signs: the coldkey for registration, the hotkey for a commitment. */
  signer: z.enum(['coldkey', 'hotkey']),
  signerAddress: z.string(),
  hotkey: z.string(),
  /** Estimated transaction fee (paymentInfo partialFee). */
  fee: Rao,
  /** Registration burn (Burn storage), paid on top of the fee; null for commits. */
  burn: Rao.nullable(),
  /** A person-readable line for the confirmation dialog. */
  summary: z.string(),
  expiresAt: z.number(),
});
export type PreparedAction = z.infer<typeof PreparedAction>;

export const chainMethods = {
  'chain.status': { params: z.object({}).strict(), result: ChainStatus },
  'chain.metagraph': {
    params: z.object({ netuid: z.number().int().min(0).max(65535).optional() }).strict(),
    result: z.object({ netuid: z.number().int(), block: z.number().int(), neurons: z.array(NeuronView) }),
  },
  'chain.rewards': {
    params: z.object({ limit: z.number().int().min(1).max(10_000).default(200) }).strict(),
    result: z.object({ cumulative: Rao, entries: z.array(RewardEntry) }),
  },
  /** Step 1 of a write: estimates the fee, signs nothing. */
  'chain.prepare': {
    params: z.discriminatedUnion('action', [
      z.object({ action: z.literal('register') }).strict(),
      z.object({ action: z.literal('commit'), data: z.string().min(1).max(128) }).strict(),
    ]),
    result: PreparedAction,
  },
  /** Step 2: the user confirmed. Registration needs the coldkey passphrase: the coldkey is unlocked for this one call. */
  'chain.confirm': {
    params: z.object({ token: z.string().regex(/^[0-9a-f]{32}$/), coldkeyPassphrase: z.string().max(1024).optional() }).strict(),
    result: z.object({ action: z.enum(['register', 'commit']), uid: z.number().int().nullable() }),
  },
  'chain.cancel': { params: z.object({ token: z.string().regex(/^[0-9a-f]{32}$/) }).strict(), result: z.object({ cancelled: z.boolean() }) },
} as const;

export const chainEvents = {
  'chain.status': ChainStatus,
} as const;
