import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';

/**
 * The devnet node's logical state: what subtensor would hold for one subnet,
 * in plain JSON. The SCALE storage clients read is derived from it
 * (derived-storage.ts); amounts are decimal strings because JSON has no u64.
 */

const Amount = z.string().regex(/^\d+$/, 'an amount is a whole number of rao, as a decimal string');
const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash as 0x-prefixed lower-case hex');
const U16 = z.number().int().min(0).max(65535);

const Account = z.object({ free: Amount, nonce: z.number().int().nonnegative() });

/** The subnet's hyperparameters: genesis values from the node's options, changed later only by the owner (sudo). */
export const Hyperparameters = z.object({
  tempo: z.number().int().min(1).max(65535),
  burn: Amount,
  maxAllowedValidators: U16,
  immunityPeriod: U16,
  commitRevealWeightsEnabled: z.boolean(),
  weightsVersionKey: Amount,
  maxAllowedUids: z.number().int().min(1).max(4096),
  /** Rao the subnet emits per tempo, split between miners (by incentive) and validators (by dividends). */
  emissionPerTempo: Amount,
});
export type Hyperparameters = z.infer<typeof Hyperparameters>;

const Neuron = z.object({
  uid: z.number().int().nonnegative(),
  hotkey: z.string(),
  coldkey: z.string(),
  /** The hotkey's alpha on this subnet (TotalHotkeyAlpha), in rao. */
  stake: Amount,
  /** u16 fractions of 65535, as subtensor stores them. */
  incentive: U16,
  consensus: U16,
  dividends: U16,
  /** Rao paid at the last epoch. */
  emission: Amount,
  validatorPermit: z.boolean(),
  lastUpdate: z.number().int().nonnegative(),
  registeredAt: z.number().int().nonnegative(),
});
export type NodeNeuron = z.infer<typeof Neuron>;

export const NodeState = z.object({
  version: z.literal(1),
  /** Chosen at random once, so two devnets never share a genesis (clients tell networks apart by it). */
  genesisHash: Hex32,
  genesisTime: z.number().int().nonnegative(),
  /** The last block made; its effects are all in this state. */
  head: z.number().int().nonnegative(),
  accounts: z.record(z.string(), Account),
  netuid: z.number().int().min(1).max(65535),
  hyperparameters: Hyperparameters,
  neurons: z.array(Neuron),
  /** hotkey -> the coldkey that owns it (SubtensorModule.Owner); kept after a neuron is replaced, as on chain. */
  owners: z.record(z.string(), z.string()),
  /** The subnet owner's hotkey (SubtensorModule.SubnetOwnerHotkey): who runs the subnet, and so names its run; null until set. */
  subnetOwnerHotkey: z.string().nullable().default(null),
  /** hotkey -> its commitment: the block and the bytes of each Raw field (hex). */
  commitments: z.record(z.string(), z.object({ block: z.number().int().nonnegative(), fields: z.array(z.string().regex(/^0x([0-9a-f]{2})*$/)) })),
  /** validator uid -> [miner uid, u16 weight] rows, normalised so the largest is 65535. */
  weights: z.record(z.string(), z.array(z.tuple([U16, U16]))),
});
export type NodeState = z.infer<typeof NodeState>;

export class NodeStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeStateError';
  }
}

export interface GenesisConfig {
  netuid: number;
  hyperparameters: Hyperparameters;
  /** Accounts funded at genesis (the devnet's faucet). */
  endowed: Array<{ address: string; free: bigint }>;
  now: number;
}

export function genesisState(config: GenesisConfig): NodeState {
  return {
    version: 1,
    genesisHash: u8aToHex(randomBytes(32)),
    genesisTime: config.now,
    head: 0,
    accounts: Object.fromEntries(config.endowed.map((a) => [a.address, { free: a.free.toString(), nonce: 0 }])),
    netuid: config.netuid,
    hyperparameters: Hyperparameters.parse(config.hyperparameters),
    neurons: [],
    owners: {},
    subnetOwnerHotkey: null,
    commitments: {},
    weights: {},
  };
}

/** Reads the state file: undefined when there is none yet; a damaged one is an error, never silently replaced. */
export async function readNodeState(file: string): Promise<NodeState | undefined> {
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NodeStateError(`the devnet chain state ${file} is not valid JSON (${(error as Error).message}); move it away to start a new chain`);
  }
  const parsed = NodeState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NodeStateError(`the devnet chain state ${file} is damaged at ${issue?.path.join('.') || 'its top level'}: ${issue?.message}; move it away to start a new chain`);
  }
  return parsed.data;
}

/** Writes the state atomically (temp file, fsync, rename), one write at a time and in order. */
export class NodeStateFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  save(state: NodeState): Promise<void> {
    const text = `${JSON.stringify(state)}\n`;
    this.writing = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomically(this.file, text, { mode: 0o600 });
    });
    return this.writing;
  }
}
