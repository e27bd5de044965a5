import type { Neuron } from '../ports/chain-port';
import type { PeerTrafficRow } from './peer-traffic';

/**
 * Why a miner was left out of the newest window this machine gathered, or
 * null when it was in it (or nothing has been gathered yet). Without this a
 * peer's row keeps the outcome of the last window it was gathered in: a
 * miner the validators stopped weighting went on reading "accepted" long
 * after its updates stopped counting.
 *
 * The rule is `aggregationCandidates`: once any miner has incentive, only
 * miners with incentive are gathered, best first, up to the run's number of
 * gather peers (and its reserves). The metagraph is today's, the window's
 * start may have seen another, so the words say "now" where it matters.
 */
export function leftOutOfNewestGather(
  neuron: Neuron,
  row: PeerTrafficRow | undefined,
  newestWindow: number | null,
  minersWeighted: boolean,
  gatherPeers: number,
): string | null {
  if (newestWindow === null || row?.lastWindow === newestWindow) return null;
  // The last window's own problem stays in view (a revoked key does not stop mattering when the peer drops out).
  const last =
    row?.lastWindow === null || row?.lastWindow === undefined
      ? 'never gathered yet'
      : `last gathered in window ${row.lastWindow}${row.lastReason ? `, not used then: ${row.lastReason}` : ''}`;
  const why =
    minersWeighted && neuron.incentive <= 0
      ? 'it has no incentive now, and once validators weigh the miners only those with incentive are gathered'
      : `it was not among the ${gatherPeers} peers gathered (best incentive first), or it committed its storage after that window began`;
  return `not gathered in window ${newestWindow} (${last}): ${why}`;
}
