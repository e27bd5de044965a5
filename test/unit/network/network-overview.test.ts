import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkOverview } from '../../../contract/domains/network';
import type { ModuleContext } from '../../../main/core/module';
import { DevnetChain } from '../../../main/devnet/devnet-chain';
import { DevnetChainLink } from '../../../main/devnet/devnet-chain-link';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { RoundLedger } from '../../../main/ledger/round-ledger';
import { createNetworkModule } from '../../../main/network/network-module';
import { PeerTraffic } from '../../../main/network/peer-traffic';
import { makeTempDir } from '../../support/temp-dir';
import { devSigner } from '../../support/dev-signer';

const signer = devSigner;

describe('network.overview', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  let target: string;
  const link = new DevnetChainLink();
  const overview = async (): Promise<NetworkOverview> => {
    const module = createNetworkModule({ devnet: link, manifestFor: (t) => (t === 'devnet' ? devnetManifest(temp.dir) : null) });
    const ctx = { config: { value: { network: target } } } as unknown as ModuleContext;
    const handler = module.handlers(ctx)['network.overview'] as unknown as () => Promise<NetworkOverview>;
    return handler();
  };

  beforeAll(async () => {
    await cryptoWaitReady();
  });
  beforeEach(async () => {
    temp = makeTempDir();
    target = 'devnet';
    chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 1000, tempo: 10, minerEmissionPerTempo: 1n });
  });
  afterEach(async () => {
    link.detach();
    await chain.close();
    temp.cleanup();
  });

  it('shows the devnet manifest before joining and says what to do', async () => {
    const view = await overview();
    expect(view).toMatchObject({ target: 'devnet', joined: false, peers: [], bandwidth: [], manifest: { name: 'tandem-devnet', chain: { network: 'devnet', netuid: 3 } } });
    expect(view.note).toMatch(/Join the run/);
    target = 'finney';
    expect(await overview()).toMatchObject({ manifest: null, note: expect.stringMatching(/only on the devnet/) });
  });

  it('lists every neuron with what this machine received from it, and each round’s traffic', async () => {
    const me = signer('//Me');
    const alice = signer('//Alice');
    const validator = signer('//Ferdie');
    const myUid = await chain.register(3, me.address, me);
    const aliceUid = await chain.register(3, alice.address, alice);
    await chain.register(3, validator.address, validator, { validator: true });
    const traffic = new PeerTraffic(() => 1234);
    traffic.record(7, [{ uid: aliceUid, outcome: 'accepted', bytes: 4096, seconds: 0.5, reserve: false }]);
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    await ledger.append({ window: 7, at: 1, phase: 'uploaded', phaseSeconds: { uploading: 2 }, bytesUp: 1000 });
    await ledger.append({ window: 7, at: 2, phase: 'gathered', phaseSeconds: { gathering: 4 }, bytesDown: 4096 });
    link.attach({ chain, hotkey: me.address, traffic, ratingOf: (uid) => (uid === aliceUid ? 2.5 : null), ledger });

    const view = await overview();
    expect(view.joined).toBe(true);
    expect(view.peers).toEqual([
      expect.objectContaining({ uid: myUid, self: true, role: 'miner', bytes: 0, lastSeen: null }),
      expect.objectContaining({ uid: aliceUid, self: false, role: 'miner', rating: 2.5, bytes: 4096, lastSeen: 1234, lastWindow: 7, lastOutcome: 'accepted' }),
      expect.objectContaining({ role: 'validator', rating: null }),
    ]);
    expect(view.bandwidth).toEqual([{ window: 7, bytesUp: 1000, bytesDown: 4096, uploadSeconds: 2, gatherSeconds: 4 }]);
  });
});
