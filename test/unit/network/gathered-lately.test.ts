import { describe, expect, it } from 'vitest';
import { leftOutOfNewestGather } from '../../../main/network/gathered-lately';
import { PeerTraffic } from '../../../main/network/peer-traffic';
import { testNeuron } from '../../support/test-neuron';

const neuron = (uid: number, incentive: number) => testNeuron(uid, { incentive });

describe('a miner left out of the newest gather', () => {
  const traffic = new PeerTraffic(() => 1);
  traffic.record(7, [
    { uid: 1, outcome: 'accepted', bytes: 10, seconds: 0.1, reserve: false },
    { uid: 2, outcome: 'accepted', bytes: 10, seconds: 0.1, reserve: false },
  ]);
  traffic.record(8, [{ uid: 1, outcome: 'accepted', bytes: 10, seconds: 0.1, reserve: false }]);
  // A replayed older window does not become the newest.
  traffic.record(5, [{ uid: 3, outcome: 'missing', bytes: 0, seconds: 0.1, reserve: false }]);

  it('says nothing of a miner in the newest window, nor before any gather', () => {
    expect(traffic.newestWindow).toBe(8);
    expect(leftOutOfNewestGather(neuron(1, 0.5), traffic.of(1), traffic.newestWindow, true, 8)).toBeNull();
    expect(leftOutOfNewestGather(neuron(2, 0), undefined, new PeerTraffic().newestWindow, true, 8)).toBeNull();
  });

  it('names the missing incentive once the miners are weighed, instead of its last "accepted"', () => {
    expect(traffic.of(2)?.lastOutcome).toBe('accepted');
    expect(leftOutOfNewestGather(neuron(2, 0), traffic.of(2), traffic.newestWindow, true, 8)).toBe(
      'not gathered in window 8 (last gathered in window 7): it has no incentive now, and once validators weigh the miners only those with incentive are gathered',
    );
  });

  it('names the cap on gathered peers when incentive is not the reason', () => {
    expect(leftOutOfNewestGather(neuron(2, 0.1), traffic.of(2), traffic.newestWindow, true, 8)).toMatch(/^not gathered in window 8 \(last gathered in window 7\): it was not among the 8 peers gathered/);
    // Before any weights every miner is a candidate, incentive 0 or not.
    expect(leftOutOfNewestGather(neuron(4, 0), traffic.of(4), traffic.newestWindow, false, 8)).toMatch(/^not gathered in window 8 \(never gathered yet\): it was not among the 8 peers/);
    expect(leftOutOfNewestGather(neuron(3, 0), traffic.of(3), traffic.newestWindow, false, 8)).toMatch(/\(last gathered in window 5, not used then: missing\)/);
  });
});
