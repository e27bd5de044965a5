import fs from 'node:fs';
import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubtensorChain } from '../../main/adapters/subtensor/subtensor-chain';
import type { DevnetNode } from '../../main/devnet/node/devnet-node';
import type { DevnetS3 } from '../../main/devnet/storage/devnet-s3';
import type { StatusReport } from '../../main/shells/cli/commands/status';
import { devnetManifest } from '../../main/devnet/devnet-manifest';
import { RESULTS_DIR } from '../support/app-in-browser';
import { seriousA11yViolations } from '../support/axe';
import { launchChromium } from '../support/browser';
import { watchRoundBlocker } from '../support/round-blocker-watch';
import { devSigner } from '../support/dev-signer';
import { until } from '../support/devnet-peers';
import { NetworkMachine, PASSPHRASES, prepareCorpusShards, startLocalNetwork, TAO } from '../support/network-peers';
import { shardSpec, startShardServer, type ShardServer } from '../support/shard-http-server';
import { makeTempDir } from '../support/temp-dir';

const NETUID = 3;
/** Slow enough that a person (and the test) sees the download's progress, quick enough for a window. */
const SHARD_BYTES_PER_SECOND = 160 * 1024;

/**
 * Issue 18's data acceptance, as a user meets it: a run whose shards are on a
 * slow server that sends every shard corrupt the first time. The app joined
 * on that run shows the download's progress on the Dashboard (bytes, rate,
 * time left), finds each corrupt shard by its sha256, downloads it again and
 * trains; `tandem status` says the same while it downloads. Before that, the
 * hotkey is registered from the Wallet page, as issue 24 has it: the
 * confirmation says the burn (in τ, and in the user's currency once they set
 * a τ price), the coldkey's balance and what the immunity period buys.
 */
describe('a run\u2019s data over a slow link that corrupts each shard once', () => {
  const temp = makeTempDir('tandem-run-data-');
  const machine = new NetworkMachine('solo', path.join(temp.dir, 'solo'));
  let node: DevnetNode;
  let s3: DevnetS3;
  let server: ShardServer;
  let url: string;
  let manifestFile: string;
  let shardNames: string[];
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await cryptoWaitReady();
    const base = devnetManifest();
    ({ node, s3, url } = await startLocalNetwork(temp.dir, NETUID));
    const chain = await SubtensorChain.open({ name: 'test', endpoint: url });
    try {
      await machine.createWallet();
      await chain.transfer(machine.coldkey, 100n * TAO, devSigner('//Alice'));
    } finally {
      await chain.close();
    }
    await s3.createBucket('peer-solo');
    await machine.setStorage(s3.endpoint, 'peer-solo', { write: await s3.issueKey({ bucket: 'peer-solo', access: 'write' }), read: await s3.issueKey({ bucket: 'peer-solo', access: 'read' }) });

    // The run's shards, listed by URL, size and sha256 in a manifest on this machine.
    const shardsDir = path.join(temp.dir, 'shards');
    shardNames = prepareCorpusShards(shardsDir);
    const shards = new Map(shardNames.map((name) => [name, fs.readFileSync(path.join(shardsDir, name))]));
    server = await startShardServer(shards, { slowBytesPerSecond: SHARD_BYTES_PER_SECOND });
    const listed = [...shards].map(([name, data]) => shardSpec(data, `${server.base}/slow-flaky/${name}`, /val/.test(name) ? 'val' : 'train'));
    manifestFile = path.join(temp.dir, 'run.json');
    fs.writeFileSync(manifestFile, JSON.stringify({ ...base, name: 'data-test', chain: { network: url, netuid: NETUID }, data: { shards: listed, shardsPerPeer: 2 } }));
    // The run is named in the app, as a user who was given its manifest file does (below).
    await machine.start(url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await machine.app?.stop();
    await server?.close();
    await s3?.close();
    await node?.close();
    temp.cleanup();
  });

  it('registers the hotkey from the Wallet page after showing the burn, the balance and the immunity terms', async () => {
    browser = await launchChromium();
    // axe-core is injected as a script, which the app's Content-Security-Policy would (rightly) refuse.
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, bypassCSP: true });
    const nav = page.getByRole('navigation', { name: 'Main' });
    // Network page: the node is set (--network); the run is named by its manifest's path, and the page shows it.
    await page.goto(machine.app!.url);
    await nav.getByRole('button', { name: 'Network', exact: true }).click();
    const choice = page.getByTestId('network-choice');
    await expect.poll(() => choice.getByLabel('Node address').inputValue()).toBe(url);
    await choice.getByRole('radio', { name: /By its manifest/ }).check();
    await choice.getByLabel('Manifest', { exact: true }).fill(manifestFile);
    await choice.getByRole('button', { name: 'Use this network' }).click();
    await expect.poll(() => choice.textContent()).toContain(`Saved: ${url}.`);
    await expect.poll(() => page.getByText('data-test (manifest v1').count(), { timeout: 20_000 }).toBe(1);

    // Not registered yet: the Wallet page offers to, and shows what it costs before anything is signed.
    await nav.getByRole('button', { name: 'Wallet', exact: true }).click();
    const card = page.getByTestId('chain-card');
    await expect.poll(() => card.getByTestId('registration').textContent(), { timeout: 30_000 }).toBe('not registered');
    await card.getByRole('button', { name: 'Register this hotkey…' }).click();
    let dialog = page.getByRole('dialog', { name: 'Confirm registration' });
    // The burn in τ only: no τ price is set (none by default), so no other figure.
    await expect.poll(() => dialog.getByTestId('registration-burn').textContent()).toBe('1.0000 τ, not refunded');
    expect(await dialog.getByTestId('registration-fee').textContent()).toMatch(/^about 0\.\d+ τ$/);
    // The 100 τ the coldkey was sent, and what is left after the burn and the fee.
    expect(await dialog.getByTestId('registration-balance').textContent()).toMatch(/^100\.0000 τ, 9[89]\.\d{4} τ after paying$/);
    expect(await dialog.textContent()).toMatch(/burns 1 TAO plus a fee of about 0\.\d+ TAO, paid by coldkey 5\w{47}/);
    // What the burn buys, in blocks and in time on this chain, and what deregistration means.
    const terms = await dialog.getByTestId('immunity-terms').textContent();
    expect(terms).toMatch(/^Nobody can take this hotkey\u2019s place for 4096 blocks, about [\dhms ]+\./);
    expect(terms).toContain('each new registration replaces the neuron with the lowest incentive: its uid goes, and the burn is not refunded');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);

    // The user sets their own τ price (Earnings → Costs); the burn is then also said in their currency.
    await nav.getByRole('button', { name: 'Earnings', exact: true }).click();
    const costs = page.getByTestId('earnings-costs');
    await costs.getByLabel('Price of 1 τ in your currency', { exact: false }).fill('412');
    await costs.getByRole('button', { name: 'Save costs' }).click();
    await expect.poll(() => costs.getByRole('status').textContent()).toContain('Saved');
    await nav.getByRole('button', { name: 'Wallet', exact: true }).click();
    await card.getByRole('button', { name: 'Register this hotkey…' }).click();
    dialog = page.getByRole('dialog', { name: 'Confirm registration' });
    await expect.poll(() => dialog.getByTestId('registration-burn').textContent()).toBe('1.0000 τ (about 412.00 EUR at your price of 412 EUR/τ), not refunded');
    expect(await dialog.getByTestId('registration-balance').textContent()).toMatch(/^100\.0000 τ/);
    expect(await dialog.getByTestId('immunity-terms').textContent()).toMatch(/4096 blocks/);
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await card.screenshot({ path: path.join(RESULTS_DIR, `registration-confirm-${theme}.png`) });
      expect(await seriousA11yViolations(page), `registration confirmation (${theme})`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // Confirmed with the coldkey passphrase: registered, and the immunity counts down.
    await dialog.getByLabel('Coldkey passphrase', { exact: false }).fill(PASSPHRASES.CP);
    await dialog.getByRole('button', { name: 'Confirm and pay' }).click();
    await expect.poll(() => card.getByRole('status').textContent(), { timeout: 60_000 }).toMatch(/^Registered as uid \d+\.$/);
    expect(await dialog.count()).toBe(0);
    await expect.poll(() => card.getByTestId('registration').textContent(), { timeout: 30_000 }).toMatch(/^registered, uid \d+/);
    await expect.poll(() => page.getByTestId('immunity').textContent(), { timeout: 30_000 }).toMatch(/^\d+ blocks, about [\dhms ]+ left \(ends at block \d+\)$/);
  }, 180_000);

  it('shows the download\u2019s progress, refetches each corrupt shard, and trains', async () => {
    // Every sentence the live round card says while it waits.
    const seenOnDashboard = await watchRoundBlocker(page, machine.app!.url);
    await machine.call('round.join');
    // The CLI says it too, while it downloads.
    let said = '';
    await until(async () => {
      said = (JSON.parse(await machine.cli(['status', '--json'])) as StatusReport).round.blocker ?? '';
      return /Downloading this window's data/.test(said);
    }, () => `status never said it was downloading (last: ${said})`, 60_000);
    expect(said).toMatch(/Downloading this window's data: [\d.]+ \w+ of [\d.]+ \w+.*\(shard \d of 2\)\./);

    const ledger = machine.ledger(url, NETUID);
    await until(async () => (await ledger.summaries()).some((s) => s.phases.includes('trained')), async () => `no window trained: ${(await machine.cli(['status'])).slice(0, 2000)}`, 180_000);
    const seen = await seenOnDashboard();
    const progress = seen.filter((s) => s.startsWith("Downloading this window's data"));
    // Bytes, a rate and the time left, moving on as the bytes come in.
    expect(progress.some((s) => /: [\d.]+ \w+ of [\d.]+ \w+ at [\d.]+ \w+\/s, about \d+ \w+ left \(shard \d of 2\)\./.test(s)), progress.join('\n')).toBe(true);
    expect(new Set(progress).size).toBeGreaterThan(1);
    // Each shard it trained on came corrupt first (refused by its sha256) and whole the second time.
    const fetched = new Map<string, number>();
    for (const r of server.requests) fetched.set(r.path, (fetched.get(r.path) ?? 0) + 1);
    const trainedOn = [...fetched].filter(([, count]) => count >= 2);
    expect(trainedOn.length, JSON.stringify([...fetched])).toBeGreaterThanOrEqual(2);
    for (const [, count] of fetched) expect(count).toBeLessThanOrEqual(2);
  }, 300_000);
});
