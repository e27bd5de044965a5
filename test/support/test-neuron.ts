import type { Neuron } from '../../main/ports/chain-port';

/** A metagraph neuron for unit tests: a miner (no validator permit) with nothing staked or earned unless told. */
export function testNeuron(uid: number, fields: Partial<Omit<Neuron, 'uid'>> = {}): Neuron {
  return {
    uid,
    hotkey: `hk${uid}`,
    coldkey: `ck${uid}`,
    stake: 0n,
    incentive: 0,
    consensus: 0,
    dividends: 0,
    emission: 0n,
    validatorPermit: false,
    lastUpdate: 0,
    registeredAt: 0,
    ...fields,
  };
}
