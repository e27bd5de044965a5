/** The unit rewards are paid in, named with the network, so nobody mistakes practice tokens for TAO. */
export function rewardUnit(target: string | null): { symbol: string; note: string } {
  if (target === 'devnet') return { symbol: 'τ', note: 'devnet τ: practice tokens of the local devnet, worth nothing outside this app' };
  if (target === 'test') return { symbol: 'τ', note: 'testnet τ: test tokens, no market value' };
  if (target === 'finney') return { symbol: 'TAO', note: 'TAO on finney, the Bittensor main network' };
  if (target === 'local') return { symbol: 'τ', note: 'τ on a local subtensor node' };
  return { symbol: 'τ', note: target ? `τ on ${target}` : 'τ' };
}
