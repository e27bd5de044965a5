import { Keyring } from '@polkadot/keyring';
import type { ChainSigner } from '../../main/ports/chain-port';

let keyring: Keyring | undefined;

/**
 * A ChainSigner for a dev account URI (`//Alice`), for tests of the devnet
 * chain. Call after `cryptoWaitReady()` (sr25519 needs the WASM crypto).
 */
export function devSigner(uri: string): ChainSigner {
  keyring ??= new Keyring({ type: 'sr25519', ss58Format: 42 });
  const pair = keyring.addFromUri(uri);
  return { address: pair.address, sign: async (m) => pair.sign(m) };
}
