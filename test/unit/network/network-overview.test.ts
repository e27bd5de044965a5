import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkOverview } from '../../../contract/domains/network';
import type { ModuleContext } from '../../../main/core/module';
import { DevnetChain } from '../../support/devnet-chain';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { createNetworkModule } from '../../../main/network/network-module';
import { PeerTraffic } from '../../../main/network/peer-traffic';
import { JoinedRunLink } from '../../../main/network/joined-run';
import { PeerDirectory } from '../../../main/services/run/peer-directory';
import pino from 'pino';
import { makeTempDir } from '../../support/temp-dir';
import { signManifest, verifySignedManifest } from '../../../main/services/run/signed-manifest';
import { devSigner } from '../../support/dev-signer';

const signer = devSigner;

describe('network.overview', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let chain: DevnetChain;
  let target: string;
  const link = new JoinedRunLink();
  const overview = async (): Promise<NetworkOverview> => {
    const module = createNetworkModule({ run: link, manifestFor: (t) => (t === 'devnet' ? { manifest: devnetManifest(), owner: null, digest: 'd'.repeat(64), source: 'built in' } : null) });
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
    expect(view).toMatchObject({ target: 'devnet', joined: false, peers: [], bandwidth: [], manifest: { name: 'tandem-devnet', chain: { network: 'devnet', netuid: 3 }, owner: null, source: 'built in', data: 'the bundled corpus sotu, bytes tokens' } });
    expect(view.note).toMatch(/Join the run/);
    target = 'finney';
    expect(await overview()).toMatchObject({ manifest: null, note: expect.stringMatching(/No run named for finney: name it in the Network card on this page \(its subnet, or its manifest\), or start Tandem with --netuid <subnet> or --manifest/) });
  });

  it('lists every neuron with what this machine received from it, and each round’s traffic', async () => {
    const me = signer('//Me');
    const alice = signer('//Alice');
    const validator = signer('//Ferdie');
    const myUid = await chain.register(3, me.address, me);
    const aliceUid = await chain.register(3, alice.address, alice);
    await chain.register(3, validator.address, validator, { validator: true });
    const traffic = new PeerTraffic(() => 1234);
    const bob = signer('//Bob');
    const bobUid = await chain.register(3, bob.address, bob);
    const charlie = signer('//Charlie');
    const charlieUid = await chain.register(3, charlie.address, charlie);
    await chain.commit(3, 'tandem/1 http://127.0.0.1:9 bucket-a key secret', alice);
    await chain.commit(3, 'tandem/1 http://127.0.0.1:9 bucket-c key secret', charlie);
    await chain.commit(3, 'garbage', bob);
    const directory = new PeerDirectory({ chain, netuid: 3, logger: pino({ level: 'silent' }) });
    await directory.refresh();
    traffic.record(7, [
      { uid: aliceUid, outcome: 'accepted', bytes: 4096, seconds: 0.5, reserve: false },
      { uid: charlieUid, outcome: 'failed', bytes: 0, seconds: 0.5, reason: 'AccessDenied (HTTP 403)', reserve: false },
    ]);
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    await ledger.append({ window: 7, at: 1, phase: 'uploaded', phaseSeconds: { uploading: 2 }, bytesUp: 1000 });
    await ledger.append({ window: 7, at: 2, phase: 'gathered', phaseSeconds: { gathering: 4 }, bytesDown: 4096 });
    // The run as published: signed by its owner, whom the Network page names.
    const owner = signer('//Owner');
    const verified = await verifySignedManifest(await signManifest(JSON.parse(JSON.stringify(devnetManifest())) as Record<string, unknown>, owner), 'run.json');
    link.attach({ network: 'devnet', manifest: verified.manifest, verified, chain, uid: myUid, hotkey: me.address, traffic, directory, notices: () => [{ level: 'warning', message: 'read key can write' }], ratingOf: (uid) => (uid === aliceUid ? 2.5 : null), ledger });

    const view = await overview();
    expect(view.joined).toBe(true);
    expect(view.manifest).toMatchObject({ name: 'tandem-devnet', owner: owner.address, source: 'run.json', digest: verified.digest });
    expect(view.peers).toEqual([
      expect.objectContaining({ uid: myUid, self: true, role: 'miner', bytes: 0, lastSeen: null }),
      expect.objectContaining({ uid: aliceUid, self: false, role: 'miner', rating: 2.5, bytes: 4096, lastSeen: 1234, lastWindow: 7, lastOutcome: 'accepted', problem: null }),
      expect.objectContaining({ role: 'validator', rating: null, problem: null }),
      expect.objectContaining({ uid: bobUid, problem: 'unreachable: not a Tandem storage commitment (it starts with "garbage")' }),
      expect.objectContaining({ uid: charlieUid, lastOutcome: 'failed', problem: 'AccessDenied (HTTP 403)' }),
    ]);
    expect(view.notices).toEqual(['read key can write']);

    // The next window gathers alice alone: charlie's row says so, with its last problem; bob stays unreachable.
    traffic.record(8, [{ uid: aliceUid, outcome: 'accepted', bytes: 4096, seconds: 0.5, reserve: false }]);
    const next = await overview();
    expect(next.peers.find((p) => p.uid === charlieUid)?.problem).toMatch(
      /^not gathered in window 8 \(last gathered in window 7, not used then: AccessDenied \(HTTP 403\)\): it was not among the 8 peers gathered/,
    );
    expect(next.peers.find((p) => p.uid === aliceUid)).toMatchObject({ lastWindow: 8, problem: null });
    expect(next.peers.find((p) => p.uid === bobUid)?.problem).toMatch(/^unreachable:/);
    directory.close();
    expect(view.bandwidth).toEqual([{ window: 7, bytesUp: 1000, bytesDown: 4096, uploadSeconds: 2, gatherSeconds: 4 }]);
  });
});
