/**
 * What the validator is judged on (issue 21), for one seed's attacked run:
 * the bench (trust-bench.ts) computes it from the run, the replay
 * (trust-replay.ts) from the same run's recorded windows under other pay rules.
 */

/** honest: one of the bench's honest peers; colluder-worker: trains its own assignment (its twin is the cheat). */
export type Role = 'honest' | 'adversary' | 'colluder-worker';

export interface PeerOutcome {
  name: string;
  uid: number;
  role: Role;
  /** Its share of the weights set after the last window. */
  weight: number;
  penalties: number;
}

export interface PayFigures {
  /** Every honest peer's weight above every adversary's. */
  ranked: boolean;
  lowestHonest: number;
  highestAdversary: number;
  honestShare: number;
  /** The weight of the peers that did honest work: the honest ones and the colluders' worker. */
  honestWorkShare: number;
  /** How many peers did honest work. */
  workers: number;
  /** The lowest honest weight over an equal share among the peers that did honest work. */
  lowestOfEqualShare: number;
  honestPenalties: number;
}

export function payFigures(peers: readonly PeerOutcome[]): PayFigures {
  const honest = peers.filter((p) => p.role === 'honest');
  const cheats = peers.filter((p) => p.role === 'adversary');
  const workers = peers.filter((p) => p.role !== 'adversary');
  const lowestHonest = Math.min(...honest.map((p) => p.weight));
  const highestAdversary = cheats.length ? Math.max(...cheats.map((p) => p.weight)) : -Infinity;
  return {
    ranked: lowestHonest > highestAdversary,
    lowestHonest,
    highestAdversary,
    honestShare: honest.reduce((sum, p) => sum + p.weight, 0),
    honestWorkShare: workers.reduce((sum, p) => sum + p.weight, 0),
    workers: workers.length,
    lowestOfEqualShare: lowestHonest * workers.length,
    honestPenalties: honest.reduce((sum, p) => sum + p.penalties, 0),
  };
}

/** The bench's honest peers by name: this machine's peer and the simulated ones. */
export const HONEST_NAMES: ReadonlySet<string> = new Set(['alice', 'bob', 'charlie', 'dave', 'eve', 'me']);

export function roleOf(name: string): Role {
  // The colluders' worker trains its own assignment honestly (its twin is the cheat): neither honest nor adversary.
  return HONEST_NAMES.has(name) ? 'honest' : name === 'colluders' ? 'colluder-worker' : 'adversary';
}
