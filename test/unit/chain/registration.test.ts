import { describe, expect, it } from 'vitest';
import type { ChainSigner } from '../../../main/ports/chain-port';
import { ChainService } from '../../../main/services/chain/chain-service';
import { ChainActionError, type WalletAccess } from '../../../main/services/chain/chain-writes';
import { SubtensorChain } from '../../../main/adapters/subtensor/subtensor-chain';
import { devSigner } from '../../support/dev-signer';
import { devnetNodeHarness, NODE_NETUID, TAO } from '../../support/devnet-node';

/** A wallet of dev keys: the coldkey opens only with its passphrase, inside one action, as the real wallet's does. */
function devWallet(coldkey: ChainSigner, hotkey: ChainSigner): WalletAccess {
  return {
    activeWallet: async () => ({ name: 'w', coldkeyAddress: coldkey.address, coldkeyWatchOnly: false, hotkeys: [{ name: 'default', address: hotkey.address }] }),
    hotkeySigner: () => hotkey,
    withColdkey: async (_name, passphrase, action) => {
      if (passphrase !== 'right passphrase') throw new ChainActionError('wrong passphrase');
      return action(coldkey);
    },
    onChange: () => () => undefined,
  };
}

/** Wallet → Register on a real network's rules: the cost and balance first, the coldkey only after confirmation. */
describe('registering the hotkey through the chain service', () => {
  const harness = devnetNodeHarness();

  it('says the balance is too low before signing, then registers with the coldkey after confirmation', async () => {
    const { node, chain } = await harness.joined();
    const coldkey = devSigner('//Newcomer');
    const hotkey = devSigner('//Newcomer/hot');
    const service = new ChainService({
      dataDir: harness.tempDir(),
      wallet: devWallet(coldkey, hotkey),
      open: async () => SubtensorChain.open({ name: 'devnet', endpoint: node.url }),
      netuidFor: () => NODE_NETUID,
    });
    harness.track(() => service.disconnect());
    await service.connect(node.url);

    await expect(service.prepare({ action: 'register' })).rejects.toThrow(/insufficient balance: coldkey \w+ holds 0 TAO, and registering costs 1\.000125 TAO .*nothing was signed/);
    await chain.transfer(coldkey.address, 5n * TAO, devSigner('//Alice'));
    const prepared = await service.prepare({ action: 'register' });
    expect(prepared).toMatchObject({ action: 'register', signer: 'coldkey', signerAddress: coldkey.address, burn: String(TAO) });
    expect(prepared.summary).toMatch(/burns 1 TAO plus a fee of about 0\.000125 TAO, paid by coldkey/);

    await expect(service.confirm(prepared.token, 'wrong')).rejects.toThrow(/wrong passphrase/);
    expect(await chain.uidOf(NODE_NETUID, hotkey.address)).toBeNull();
    // The confirmation is used up by the failed attempt: prepare again, confirm with the right passphrase.
    const again = await service.prepare({ action: 'register' });
    const { uid } = await service.confirm(again.token, 'right passphrase');
    expect(uid).toBe(await chain.uidOf(NODE_NETUID, hotkey.address));
    // One burn and one fee: the refused confirmation signed nothing.
    expect(await chain.balanceOf(coldkey.address)).toBe(5n * TAO - TAO - 125_000n);

    // Registered: the subnet's immunity period counts down from the registration block, read from the chain.
    await service.refresh(true);
    const status = service.status();
    expect(status.immunityPeriodBlocks).toBe(4096);
    const registeredAt = (await chain.metagraph(NODE_NETUID)).neurons.find((n) => n.uid === uid)!.registeredAt!;
    expect(status.me?.immunity).toMatchObject({ periodBlocks: 4096, endsAtBlock: registeredAt + 4096, atRisk: false });
    expect(status.me!.immunity!.blocksLeft).toBe(registeredAt + 4096 - status.metagraphBlock!);
  }, 30_000);
});
