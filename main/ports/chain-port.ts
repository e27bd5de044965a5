/**
 * What the rest of Tandem needs from a chain, whichever one runs: the local
 * devnet ledger (main/devnet) or Bittensor subtensor (main/adapters/subtensor).
 * The round engine and the UI depend on this interface only.
 *
 * Amounts are in the chain's smallest unit (rao for TAO: 1 TAO = 1e9 rao) as
 * bigint; scores such as incentive are normalised to [0, 1] floats (subtensor
 * stores them as u16 / 65535).
 */
export interface ChainPort {
  /** A name for logs and the UI, e.g. `devnet`, `finney`, `ws://host:9944`. */
  readonly name: string;

  /** Current best block. */
  blockNumber(): Promise<number>;
  /** Calls back on every new block; returns the unsubscribe function. */
  subscribeBlocks(listener: (block: ChainBlock) => void): Promise<() => void>;

  /** The subnet's neurons, with what a contributor reads about each. */
  metagraph(netuid: number): Promise<Metagraph>;
  /** The uid of a hotkey on a subnet, or null when it is not registered. */
  uidOf(netuid: number, hotkey: string): Promise<number | null>;

  /** Peers publish where their updates can be read (e.g. a bucket and read credentials), as text. */
  commitments(netuid: number): Promise<Map<string, ChainCommitment>>;

  /** Health of the connection, for the UI. */
  health(): ChainHealth;
  close(): Promise<void>;

  // Optional extras (a port may leave them out; callers feature-detect).
  /** Calls back on every health change; returns the unsubscribe function. */
  onHealth?(listener: (health: ChainHealth) => void): () => void;
  /** Free balance of an account, in the smallest unit. */
  balanceOf?(address: string): Promise<bigint>;
  /** Blocks per tempo (epoch) of a subnet; rewards are paid once per tempo. */
  tempo?(netuid: number): Promise<number>;
  subnetExists?(netuid: number): Promise<boolean>;
  /** Blocks after registering during which a neuron cannot be replaced (ImmunityPeriod). */
  immunityPeriod?(netuid: number): Promise<number>;
  /** The most neurons a subnet holds (MaxAllowedUids); a registration beyond replaces one. */
  maxAllowedUids?(netuid: number): Promise<number>;
  /** The subnet owner's hotkey (SubnetOwnerHotkey), whose commitment names the subnet's run; null when none is set. */
  subnetOwnerHotkey?(netuid: number): Promise<string | null>;
  /**
   * Which emission epoch a block's metagraph reports, for chains whose epochs
   * do not follow subtensor's schedule (the devnet pays every `tempo` blocks).
   * Absent: subtensor's formula (see tempoIndex in rewards.ts).
   */
  tempoIndex?(block: number, netuid: number, tempo: number): number;
  /** Everything a hotkey has earned so far, in the smallest unit, where the chain keeps that total. */
  rewardsOf?(hotkey: string): bigint | Promise<bigint>;
  /**
   * Epoch milliseconds of a past or current block (Timestamp.Now in that
   * block's state on subtensor): what a node that did not see a block go by
   * reads to get its time exactly, rather than extrapolating at the nominal
   * block time. Rejects for a block not made yet or whose state is gone.
   */
  blockTimestamp?(block: number): Promise<number>;
  /** Whether a subnet takes weights only through commit-reveal (subtensor's CommitRevealWeightsEnabled). */
  commitRevealEnabled?(netuid: number): Promise<boolean>;
  /** The lowest version_key a subnet's set_weights accepts (WeightsVersionKey; 0 accepts any). */
  weightsVersionKey?(netuid: number): Promise<bigint>;
}

/** A write, described without a signer, for fee estimates and confirmation dialogs. */
export type ChainWrite =
  | { action: 'register'; netuid: number; hotkey: string }
  | { action: 'commit'; netuid: number; data: CommitmentData };

/** A commitment as text (one field), or as raw fields (subtensor keeps up to 3 of up to 128 bytes each). */
export type CommitmentData = string | readonly Uint8Array[];

export interface ChainEstimate {
  /** Transaction fee in the smallest unit. */
  fee: bigint;
  /** Amount burned on top of the fee (registration), or null. */
  burn: bigint | null;
}

/** Writes need a signer; kept apart so read-only use never touches keys. */
export interface ChainWriter {
  /** Burned registration of a hotkey on a subnet, paid by the coldkey. Resolves with the new uid. */
  register(netuid: number, hotkey: string, signer: ChainSigner): Promise<number>;
  /** Publishes this peer's commitment (storage read access), signed by the hotkey. */
  commit(netuid: number, data: CommitmentData, signer: ChainSigner): Promise<void>;
  /** Validators only: weights per uid (any non-negative scale; the chain normalises). */
  setWeights(netuid: number, weights: ReadonlyMap<number, number>, signer: ChainSigner): Promise<void>;
  /** Optional: the fee (and burn) a write would cost, signing nothing for real. */
  estimate?(write: ChainWrite, signerAddress: string): Promise<ChainEstimate>;
  /** Optional: sends an amount (smallest unit) from the signer's account, keeping it alive. */
  transfer?(to: string, amount: bigint, signer: ChainSigner): Promise<void>;
  /** Optional: stakes the signer's (a coldkey's) funds on a hotkey it owns, on a subnet. */
  addStake?(hotkey: string, netuid: number, amount: bigint, signer: ChainSigner): Promise<void>;
}

/** Signs for one SS58 address. Secret material stays behind this interface. */
export interface ChainSigner {
  readonly address: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface ChainBlock {
  number: number;
  /** Epoch milliseconds (Timestamp.Now on subtensor). */
  timestamp: number;
}

export interface Neuron {
  uid: number;
  hotkey: string;
  coldkey: string | null;
  /** Stake in rao (Alpha / TotalHotkeyAlpha on current subtensor runtimes). */
  stake: bigint;
  incentive: number;
  consensus: number;
  dividends: number;
  /** Emission per tempo, in rao. */
  emission: bigint;
  validatorPermit: boolean;
  lastUpdate: number;
  registeredAt: number | null;
}

export interface Metagraph {
  netuid: number;
  block: number;
  neurons: Neuron[];
}

export interface ChainCommitment {
  hotkey: string;
  block: number;
  /** The raw fields read as UTF-8 text and joined (Templar-style commitments are one field of text). */
  data: string;
  /** The bytes of each raw field, in order. */
  fields: Uint8Array[];
}

export type ChainHealth =
  | { state: 'connecting' }
  | { state: 'connected'; endpoint: string; bestBlock: number | null }
  | { state: 'reconnecting'; endpoint: string; attempt: number; lastError: string }
  | { state: 'failed'; reason: string };

/**
 * Rank among miners from incentive: 1 is best. The Rank storage item is gone on
 * current runtimes, so this is computed, never read. Ties share the better rank.
 */
export function rankByIncentive(neurons: readonly Neuron[], uid: number): { rank: number; of: number } | null {
  const miners = neurons.filter((n) => !n.validatorPermit || n.uid === uid);
  const self = miners.find((n) => n.uid === uid);
  if (!self) return null;
  const better = miners.filter((n) => n.incentive > self.incentive).length;
  return { rank: better + 1, of: miners.length };
}
