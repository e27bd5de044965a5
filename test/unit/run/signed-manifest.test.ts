import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { loadManifest } from '../../../main/services/run/load-manifest';
import { incompatibilityWith, wrongChain } from '../../../main/services/run/run-compatibility';
import { signedMessage, signManifest, verifySignedManifest } from '../../../main/services/run/signed-manifest';
import { devSigner } from '../../support/dev-signer';
import { makeTempDir } from '../../support/temp-dir';

const GENESIS = `0x${'ab'.repeat(32)}`;
const NETWORK = 'ws://127.0.0.1:9944';

/** A run as its owner writes it: the devnet's, on a named network and chain, with its shards listed by URL. */
function runAsWritten(): Record<string, unknown> {
  const m = JSON.parse(JSON.stringify(devnetManifest())) as Record<string, unknown>;
  m.name = 'signed-test-run';
  m.chain = { network: NETWORK, netuid: 7, genesisHash: GENESIS };
  m.data = {
    shards: [
      { url: 'https://data.example.org/train_000.bin', bytes: 2048, sha256: 'a'.repeat(64), dtype: 'uint16', split: 'train' },
      { url: 's3://run-data/val_000.npy', bytes: 1024, sha256: 'b'.repeat(64), dtype: 'uint32', split: 'val' },
    ],
  };
  return m;
}

describe('signed run manifests', () => {
  const temp = makeTempDir('tandem-manifest-');
  let server: http.Server;
  let base: string;
  const served = new Map<string, { status: number; body?: string; location?: string }>();

  beforeAll(async () => {
    await cryptoWaitReady();
    server = http.createServer((req, res) => {
      const page = served.get(req.url ?? '') ?? { status: 404 };
      res.writeHead(page.status, page.location ? { location: page.location } : { 'content-type': 'application/json' });
      res.end(page.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    temp.cleanup();
  });

  it('verifies whatever the JSON looks like, and names the owner and the digest the owner signed', async () => {
    const owner = devSigner('//RunOwner');
    const signed = await signManifest(runAsWritten(), owner);
    // Keys reordered and pretty-printed by some editor: the same manifest, the same signature.
    const reformatted = JSON.parse(JSON.stringify({ manifest: reorder(signed.manifest), signature: signed.signature, owner: signed.owner, format: signed.format }, null, 4)) as unknown;
    const verified = await verifySignedManifest(reformatted, 'run.json', owner.address);
    expect(verified.owner).toBe(owner.address);
    expect(verified.manifest.name).toBe('signed-test-run');
    expect(verified.manifest.data.shards).toHaveLength(2);
    expect(verified.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a manifest with one byte changed, another signer, or a signature by someone other than the owner named', async () => {
    const owner = devSigner('//RunOwner');
    const signed = await signManifest(runAsWritten(), owner);
    const text = JSON.stringify(signed);
    // One byte: netuid 7 becomes 8.
    const changed = JSON.parse(text.replace('"netuid":7', '"netuid":8')) as unknown;
    await expect(verifySignedManifest(changed, 'run.json')).rejects.toThrow(/run\.json: bad signature/);
    // Someone else claims to own it with the owner's signature.
    const mallory = devSigner('//Mallory');
    await expect(verifySignedManifest({ ...signed, owner: mallory.address }, 'run.json')).rejects.toThrow(/bad signature/);
    // A valid signature, by another key than the owner the user named.
    const resigned = await signManifest(runAsWritten(), mallory);
    await expect(verifySignedManifest(resigned, 'run.json', owner.address)).rejects.toThrow(new RegExp(`signed by ${mallory.address}, not by the run owner you named`));
  });

  it('checks the signature before the fields, then names an unknown field or a missing shard hash', async () => {
    const owner = devSigner('//RunOwner');
    const signRaw = async (manifest: Record<string, unknown>) => ({ format: 'tandem-run/1', owner: owner.address, signature: u8aToHex(await owner.sign(signedMessage(manifest))), manifest });
    await expect(verifySignedManifest(await signRaw({ ...runAsWritten(), surprise: 1 }), 'run.json')).rejects.toThrow(/run\.json: .*surprise/);
    const noHash = runAsWritten();
    delete ((noHash.data as { shards: Array<Record<string, unknown>> }).shards[0] as Record<string, unknown>).sha256;
    await expect(verifySignedManifest(await signRaw(noHash), 'run.json')).rejects.toThrow(/data\.shards\.0\.sha256/);
    // signManifest refuses to sign what would not parse.
    await expect(signManifest({ ...runAsWritten(), surprise: 1 }, owner)).rejects.toThrow(/surprise/);
  });

  it('downloads a signed manifest by URL; refuses an unsigned one there, a 404, a redirect loop and another network\u2019s run', async () => {
    const owner = devSigner('//RunOwner');
    served.set('/run.json', { status: 200, body: JSON.stringify(await signManifest(runAsWritten(), owner)) });
    const verified = await loadManifest(`${base}/run.json`, { network: NETWORK, owner: owner.address });
    expect(verified).toMatchObject({ owner: owner.address, source: `${base}/run.json` });

    served.set('/bare.json', { status: 200, body: JSON.stringify(runAsWritten()) });
    await expect(loadManifest(`${base}/bare.json`, { network: NETWORK })).rejects.toThrow(/bare\.json: this manifest is not signed/);
    await expect(loadManifest(`${base}/gone.json`, { network: NETWORK })).rejects.toThrow(/gone\.json: cannot download the run manifest \(HTTP 404/);
    served.set('/loop', { status: 302, location: '/loop' });
    await expect(loadManifest(`${base}/loop`, { network: NETWORK })).rejects.toThrow(/loop: cannot download the run manifest \(.*redirect/i);
    await expect(loadManifest(`${base}/run.json`, { network: 'finney' })).rejects.toThrow(new RegExp(`this run is on ${NETWORK}, not finney`));
    // Signed, but for no chain in particular: refused, since the genesis is what ties it to one.
    const noGenesis = runAsWritten();
    noGenesis.chain = { network: NETWORK, netuid: 7 };
    served.set('/no-genesis.json', { status: 200, body: JSON.stringify(await signManifest(noGenesis, owner)) });
    await expect(loadManifest(`${base}/no-genesis.json`, { network: NETWORK })).rejects.toThrow(/must name its chain.s genesis hash/);
  });

  it('takes an unsigned manifest only from a file on this machine, and only when no owner is named', async () => {
    const file = path.join(temp.dir, 'mine.json');
    fs.writeFileSync(file, JSON.stringify(runAsWritten()));
    expect(await loadManifest(file, { network: NETWORK })).toMatchObject({ owner: null, source: file });
    await expect(loadManifest(file, { network: NETWORK, owner: devSigner('//RunOwner').address })).rejects.toThrow(/not signed, so it cannot be the run of/);
    await expect(loadManifest(path.join(temp.dir, 'missing.json'), { network: NETWORK })).rejects.toThrow(/missing\.json: cannot read the run manifest \(ENOENT\)/);
  });

  it('says why this app cannot take part: too old for the run, another payload format, another chain', () => {
    const manifest = devnetManifest();
    expect(incompatibilityWith(manifest, { version: '0.1.0' })).toBeNull();
    expect(incompatibilityWith({ ...manifest, minTandemVersion: '0.3.0' }, { version: '0.2.9' })).toMatch(/needs Tandem 0\.3\.0 or newer and this is 0\.2\.9: update Tandem/);
    expect(incompatibilityWith({ ...manifest, payloadFormat: 2 }, { version: '0.1.0', payloadFormat: 1 })).toMatch(/payload format 2 and this Tandem writes format 1: update Tandem/);
    const onChain = { ...manifest, chain: { ...manifest.chain, genesisHash: GENESIS } };
    expect(wrongChain(onChain, GENESIS, NETWORK)).toBeNull();
    expect(wrongChain(onChain, `0x${'cd'.repeat(32)}`, NETWORK)).toMatch(/serves another chain than the run tandem-devnet/);
    expect(wrongChain(manifest, `0x${'cd'.repeat(32)}`, NETWORK)).toBeNull();
  });
});

/** The same object with its keys in reverse order, all the way down. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
}
