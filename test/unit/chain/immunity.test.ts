import { describe, expect, it } from 'vitest';
import { immunityOf } from '../../../main/services/chain/immunity';
import { testNeuron } from '../../support/test-neuron';

const neuron = (uid: number, registeredAt: number, incentive: number) => testNeuron(uid, { registeredAt, incentive });

describe('immunity from replacement', () => {
  it('counts down from the registration block, and ends', () => {
    const neurons = [neuron(0, 100, 0.5), neuron(1, 900, 0.2)];
    expect(immunityOf(neurons, 1, 1000, 500, 256)).toEqual({ periodBlocks: 500, endsAtBlock: 1400, blocksLeft: 400, atRisk: false });
    expect(immunityOf(neurons, 1, 1500, 500, 256)).toMatchObject({ blocksLeft: 0, atRisk: false });
    expect(immunityOf(neurons, 7, 1000, 500, 256)).toBeNull();
  });

  it('is at risk only on a full subnet, when its incentive is the lowest among the replaceable (the earliest registered on a tie)', () => {
    // Full (3 of 3). uid 2 is still immune, but with the lowest incentive it would be the first replaced once its immunity ends.
    const full = [neuron(0, 100, 0.5), neuron(1, 200, 0.3), neuron(2, 900, 0.1)];
    expect(immunityOf(full, 2, 1000, 500, 3)?.atRisk).toBe(true);
    // uid 2 is immune now, so uid 1 (the lowest of those past immunity) is the next replaced; uid 0 is safe.
    expect(immunityOf(full, 1, 1000, 500, 3)?.atRisk).toBe(true);
    expect(immunityOf(full, 0, 1000, 500, 3)?.atRisk).toBe(false);
    // A tie: the earliest registered goes first.
    const tie = [neuron(0, 100, 0.3), neuron(1, 200, 0.3), neuron(2, 300, 0.9)];
    expect(immunityOf(tie, 0, 1000, 500, 3)?.atRisk).toBe(true);
    expect(immunityOf(tie, 1, 1000, 500, 3)?.atRisk).toBe(false);
    // Room left on the subnet: nobody is replaced.
    expect(immunityOf(full, 2, 1000, 500, 4)?.atRisk).toBe(false);
    expect(immunityOf(full, 2, 1000, 500, null)?.atRisk).toBe(false);
  });
});
