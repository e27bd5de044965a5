import fs from 'node:fs/promises';
import path from 'node:path';
import { rankByIncentive, type Metagraph } from '../../ports/chain-port';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';

/**
 * Subtensor runs a subnet's epoch when (block + netuid + 1) % (tempo + 1) == 0;
 * this is the index of the epoch a block belongs to.
 */
export function tempoIndex(block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

export interface RewardRecord {
  tempoIndex: number;
  block: number;
  /** Rao, as a decimal string (JSON has no bigint). */
  emission: string;
  incentive: number;
  rank: number | null;
}

interface RewardFile {
  version: 1;
  network: string;
  netuid: number;
  hotkey: string;
  entries: RewardRecord[];
}

/**
 * Rewards per tempo for one hotkey on one subnet, kept locally (atomic JSON)
 * because the chain only holds the latest epoch's emission. One entry per
 * tempo, recorded from the first metagraph read inside it; tempos while the
 * app was not running are missing, never guessed.
 */
export class RewardHistory {
  private constructor(
    readonly file: string,
    private data: RewardFile,
  ) {}

  static fileFor(dir: string, network: string, netuid: number, hotkey: string): string {
    const safe = network.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60);
    return path.join(dir, `rewards-${safe}-${netuid}-${hotkey}.json`);
  }

  static async load(dir: string, key: { network: string; netuid: number; hotkey: string }): Promise<RewardHistory> {
    const file = RewardHistory.fileFor(dir, key.network, key.netuid, key.hotkey);
    const text = await readFileIfExists(file);
    let data: RewardFile = { version: 1, ...key, entries: [] };
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as RewardFile;
        if (parsed.version === 1 && Array.isArray(parsed.entries)) data = { ...parsed, ...key };
      } catch {
        // A damaged history is replaced rather than blocking the app; the chain is the source of truth.
      }
    }
    return new RewardHistory(file, data);
  }

  get entries(): readonly RewardRecord[] {
    return this.data.entries;
  }

  cumulative(): bigint {
    return this.data.entries.reduce((sum, e) => sum + BigInt(e.emission), 0n);
  }

  /**
   * Records the hotkey's emission from a metagraph read, once per tempo.
   * Returns true when a new tempo was recorded (and saved).
   */
  async observe(metagraph: Metagraph, tempo: number, indexOf: (block: number, netuid: number, tempo: number) => number = tempoIndex): Promise<boolean> {
    const neuron = metagraph.neurons.find((n) => n.hotkey === this.data.hotkey);
    if (!neuron) return false;
    const index = indexOf(metagraph.block, metagraph.netuid, tempo);
    if (this.data.entries.some((e) => e.tempoIndex === index)) return false;
    const rank = rankByIncentive(metagraph.neurons, neuron.uid);
    this.data.entries.push({ tempoIndex: index, block: metagraph.block, emission: neuron.emission.toString(), incentive: neuron.incentive, rank: rank?.rank ?? null });
    this.data.entries.sort((a, b) => a.tempoIndex - b.tempoIndex);
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomically(this.file, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    return true;
  }
}
