import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations, type AxeFinding } from '../support/axe';
import { openAppInBrowser, RESULTS_DIR, type AppInBrowser } from '../support/app-in-browser';
import type { RunningApp } from '../support/start-app';

const THEMES = ['light', 'dark'] as const;
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/**
 * What a contributor does on day one, in Chromium against headless mode and
 * the embedded devnet: the set-up guide, then rounds until the chain pays,
 * then every page looked at (screenshots) and checked by axe in both themes.
 */
describe('the contributor UI from first run to rewards', () => {
  let session: AppInBrowser;
  let home: string;
  let app: RunningApp;
  let page: Page;
  const a11y: Record<string, AxeFinding[]> = {};

  const checkEveryTheme = async (name: string) => {
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      await page.waitForTimeout(150);
      await page.screenshot({ path: path.join(RESULTS_DIR, `ui-${slug(name)}-${theme}.png`), fullPage: true });
      a11y[`${name} (${theme})`] = await seriousA11yViolations(page);
    }
  };

  beforeAll(async () => {
    // axe-core is injected as a script, which the app's Content-Security-Policy would (rightly) refuse.
    session = await openAppInBrowser({ args: ['--headless'], page: { viewport: { width: 1280, height: 900 }, bypassCSP: true } });
    ({ home, app, page } = session);
  });

  afterAll(() => session?.close());

  // The fit on the devnet is a trial of a throwaway devnet (about 80 s on 2 cores), beside the readiness check and the join.
  it('guides the first run through hardware, network, the fit test and wallet to joining', { timeout: 480_000 }, async () => {
    await page.goto(app.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Welcome to Tandem');

    // Step 1: the readiness check, with live progress, against the devnet's needs.
    await page.getByTestId('onboarding-hardware').waitFor();
    await page.getByRole('button', { name: 'Run the checks' }).click();
    await expect.poll(() => page.getByTestId('onboarding-hardware-summary').textContent(), { timeout: 90_000 }).toMatch(/Result: (pass|warn)/);
    await checkEveryTheme('Set-up guide');

    // The guide resumes where it was left.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('onboarding-network').waitFor();
    await page.getByRole('button', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('button', { name: 'Set-up guide' }).click();
    await page.getByTestId('onboarding-network').waitFor();
    await page.reload();
    await page.getByTestId('onboarding-network').waitFor();

    // Step 2: a bad custom address is refused with the field named; the devnet is kept.
    await page.getByLabel('Custom node').check();
    await page.getByLabel('Node address').fill('http://not-a-node');
    await page.getByRole('button', { name: 'Use this network' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('network:');
    await page.getByLabel('Devnet').check();
    await page.getByRole('button', { name: 'Use this network' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Saved: devnet');

    // Step 3: will this machine earn? A real fit test of the devnet run, its answer with the numbers, before any wallet.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('onboarding-fit').waitFor();
    await page.getByRole('button', { name: 'Test this machine' }).click();
    await page.getByTestId('fit-progress').waitFor();
    // The trial's own progress line, as the CLI prints it.
    await expect.poll(() => page.getByTestId('fit-progress').textContent(), { timeout: 60_000 }).toContain('Running a short trial of the devnet');
    await page.getByTestId('fit-answer').waitFor({ timeout: 200_000 });
    expect(await page.getByTestId('fit-headline').textContent()).toMatch(/^(Will earn|Will earn less because .+|Cannot keep up: .+)\.$/);
    const figures = await page.getByTestId('fit-figures').locator('tbody th').allTextContents();
    expect(figures).toEqual(['memory on this computer (RAM)', '40 inner steps and compression', 'upload of one update', expect.stringMatching(/^gather of \d+ updates$/)]);
    await checkEveryTheme('Set-up guide, fit test');
    // The answer is kept: back on this step after a reload it is still there.
    await page.reload();
    await page.getByTestId('fit-answer').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('onboarding-wallet').waitFor();

    // Step 5: join; the guide ends on the Dashboard.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('join-button').click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 120_000 }).toBe('Dashboard');

    // The costs, set while the first round runs (Earnings → Costs): the electricity price, this machine's draw
    // (nothing measures a CPU here, or its counter does and this figure is not used) and the user's own τ price.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('button', { name: 'Earnings', exact: true }).click();
    const costs = page.getByTestId('earnings-costs');
    await costs.getByLabel('Electricity price per kWh').fill('0.40');
    await costs.getByLabel('Currency', { exact: true }).fill('EUR');
    await costs.getByLabel("This machine's draw while training (W)", { exact: false }).fill('150');
    await costs.getByLabel('Price of 1 τ in your currency', { exact: false }).fill('412');
    await costs.getByRole('button', { name: 'Save costs' }).click();
    await expect.poll(() => costs.getByRole('status').textContent()).toContain('Saved');
    await nav.getByRole('button', { name: 'Dashboard', exact: true }).click();
  });

  it('shows the live round, then rank and rewards from the devnet chain', { timeout: 600_000 }, async () => {
    const phasesSeen = new Set<string>();
    const collectPhases = async () => {
      for (const name of await page.locator('[data-testid="phase-timeline"] .phase-step-name').allTextContents()) phasesSeen.add(name);
    };
    await expect
      .poll(
        async () => {
          await collectPhases();
          return Number(await page.getByTestId('rounds-completed').textContent());
        },
        { timeout: 240_000, interval: 300 },
      )
      .toBeGreaterThanOrEqual(1);
    // Every phase of a round was on the timeline, and the completed round lists what it went through.
    for (const phase of ['Training', 'Uploading', 'Gathering']) expect(phasesSeen).toContain(phase);
    expect(await page.getByTestId('last-round-phases').textContent()).toMatch(/trained → uploaded → gathered → applied/);

    // The validator scores a window once the next is half over; the chain pays once per epoch (2 windows).
    await page.getByTestId('rank-position').waitFor({ timeout: 420_000 });
    await expect
      .poll(async () => Number(/([\d.]+) τ/.exec((await page.getByTestId('rewards-total').textContent()) ?? '')?.[1] ?? 0), { timeout: 420_000, interval: 1000 })
      .toBeGreaterThan(0);
    expect(await page.getByTestId('rank-position').textContent()).toMatch(/^#[1-4]$/);
    // Four miners on the devnet: this machine and three simulated peers (the validator is not a miner).
    expect(await page.getByTestId('rank-of').textContent()).toBe('4');
    expect(await page.getByTestId('rewards-unit').textContent()).toContain('devnet');
    expect(await page.getByTestId('earning-headline').textContent()).toMatch(/^Earning: rank [1-4] of 4$|^Training, no rewards yet$/);
    await expect.poll(() => page.getByTestId('rewards-cumulative-chart').count(), { timeout: 120_000 }).toBe(1);
  });

  it('keeps a cost ledger beside the rewards: energy and cost per round and per day, the rewards\u2019 worth, the break-even; the CSV carries them', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Earnings', exact: true }).click();
    // Each round that ended since the costs were set has its energy, and its cost at 0.40 EUR/kWh.
    await expect.poll(async () => (await page.getByTestId('earnings-energy').allTextContents()).filter((t) => /^[\d.]+ k?Wh$/.test(t)).length, { timeout: 120_000 }).toBeGreaterThan(0);
    expect((await page.getByTestId('earnings-cost').allTextContents()).filter((t) => /^\d+\.\d{2,4} EUR$/.test(t)).length).toBeGreaterThan(0);
    const costs = page.getByTestId('earnings-costs');
    expect(await costs.getByTestId('costs-energy').textContent()).toMatch(/^[\d.]+ k?Wh$/);
    expect(await costs.getByTestId('costs-cost').textContent()).toMatch(/^\d+\.\d{2,4} EUR$/);
    // The chain paid (the previous test): the rewards at the user's τ price, beside the energy they cost, and the break-even price.
    await expect.poll(() => costs.getByTestId('costs-break-even').textContent(), { timeout: 120_000 }).toMatch(/^when 1 τ is worth at least \d+\.\d{2,4} EUR$/);
    expect(await costs.getByTestId('costs-earned-value').textContent()).toMatch(/^\d+\.\d{2,4} EUR at your price of 412 EUR\/τ \(energy \d+\.\d{2,4} EUR, net -?\d+\.\d{2,4} EUR\)$/);
    expect(await page.getByTestId('earnings-ledger-total').textContent()).toMatch(/^[\d.]+ τ \(about \d+\.\d{2,4} EUR\)$/);
    // Per UTC day: earned in τ and at the τ price, energy, cost.
    const days = costs.getByRole('table', { name: 'Earnings and costs per day' });
    expect(await days.locator('thead th').allTextContents()).toEqual(['Day (UTC)', 'Earned', 'Worth', 'Energy', 'Cost']);
    const today = await days.getByTestId('costs-day').first().locator('th, td').allTextContents();
    expect(today).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), expect.stringMatching(/^[\d.]+ τ$/), expect.stringMatching(/^\d+\.\d{2,4} EUR$/), expect.stringMatching(/^[\d.]+ k?Wh$/), expect.stringMatching(/^\d+\.\d{2,4} EUR$/)]);

    // The CSV: each round's reward, energy and its cost in the user's currency.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('earnings-export').click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('window,time,trained,uploaded,applied,score,weight,reward_rao,reward_tao,reason,energy_wh,energy_source,cost,currency');
    expect(csv.filter((line) => /,[\d.]+(e-\d+)?,(gpu|cpu|gpu\+cpu|setting),[\d.]+(e-\d+)?,EUR$/.test(line)).length).toBeGreaterThan(0);
    expect(csv.slice(1).some((line) => /^\d+,[^,]+,(yes|no),(yes|no),(yes|no),[^,]*,[^,]*,[1-9]\d*,/.test(line))).toBe(true);

    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      await page.waitForTimeout(150);
      await page.screenshot({ path: path.join(RESULTS_DIR, `earnings-costs-${theme}.png`), fullPage: true });
      expect(await seriousA11yViolations(page), `Earnings with costs (${theme})`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('lists the manifest, the peers and the bandwidth; searches the log; exports a support bundle without secrets', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('button', { name: 'Network', exact: true }).click();
    await expect.poll(() => page.getByTestId('manifest-name').textContent()).toContain('tandem-devnet');
    // The devnet's validator publishes the run's checkpoints, for peers that join late.
    expect(await page.getByTestId('manifest-checkpoints').textContent()).toMatch(/^every \d+ windows by \w{46,48} /);
    // Joined: the devnet's run as published, signed by its owner key and checked by this machine.
    await expect.poll(() => page.getByTestId('manifest-owner').textContent()).toMatch(/^5\w{47} \(signature checked\)$/);
    // Four miners (this machine and three simulated peers) and the validator.
    const rows = page.getByRole('table', { name: 'Peers' }).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(5);
    expect(await rows.filter({ hasText: '(you)' }).count()).toBe(1);
    await expect.poll(() => rows.filter({ hasText: /ago \(window \d+\)/ }).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId('bandwidth-card').getByText(/over \d+ rounds/).waitFor({ timeout: 30_000 });

    await nav.getByRole('button', { name: 'Logs', exact: true }).click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('outer step applied');
    await expect.poll(async () => (await page.getByTestId('log-lines').locator('li').allTextContents()).length, { timeout: 30_000 }).toBeGreaterThan(0);
    for (const line of await page.getByTestId('log-lines').locator('li').allTextContents()) expect(line).toContain('outer step applied');
    await page.getByRole('searchbox', { name: 'Search' }).fill('');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export support bundle' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^tandem-support-.*\.json$/);
    const text = fs.readFileSync(await download.path(), 'utf8');
    const bundle = JSON.parse(text) as { kind: string; logs: Array<{ text: string }> };
    expect(bundle.kind).toBe('tandem-support-bundle');
    expect(bundle.logs.map((l) => l.text).join('')).toContain('outer step applied');
    expect(text).not.toContain(app.token);
    // This machine's devnet key (its recovery phrase is in the devnet folder) never leaves in a bundle.
    const identity = JSON.parse(fs.readFileSync(path.join(home, 'data', 'devnet', 'identity.json'), 'utf8')) as { mnemonic: string };
    expect(text).not.toContain(identity.mnemonic);

    // Settings name the field they refuse, and keep what was there.
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    const limits = page.getByTestId('data-limits-card');
    await limits.getByLabel('Data folder').fill('relative/folder');
    await limits.getByLabel('CPU threads (threads)').fill('0');
    await limits.getByRole('button', { name: 'Update data and limits' }).click();
    await expect.poll(() => limits.getByRole('alert').textContent()).toMatch(/dataDir: .*absolute.*limits\.cpuThreads|limits\.cpuThreads.*dataDir: .*absolute/);
    await limits.getByLabel('Data folder').fill('');
    await limits.getByLabel('CPU threads (threads)').fill('2');
    await limits.getByRole('button', { name: 'Update data and limits' }).click();
    await expect.poll(() => limits.getByRole('status').textContent()).toContain('Saved');
  });

  it('has screenshots of every page and no serious or critical axe violation, in light and dark', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    const names = (await nav.getByRole('button').allTextContents()).map((n) => n.trim()).filter((n) => n !== 'Set-up guide');
    expect(names).toEqual(expect.arrayContaining(['Dashboard', 'Hardware', 'Wallet', 'Network', 'Logs', 'Settings']));
    for (const name of names) {
      await nav.getByRole('button', { name, exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
      await page.waitForTimeout(300);
      await checkEveryTheme(name);
    }
    const failures = Object.entries(a11y).filter(([, found]) => found.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    // Every page, and the set-up guide twice (its first step, and the fit test's answer).
    expect(Object.keys(a11y).length).toBe(2 * (names.length + 2));
  });
});
