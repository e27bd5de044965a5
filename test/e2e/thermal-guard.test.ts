import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedDevnetRounds, openAppInBrowser, RESULTS_DIR, type AppInBrowser } from '../support/app-in-browser';
import type { RunningApp } from '../support/start-app';


/** Every log line the app wrote (pino NDJSON files under the home's logs folder). */
function logLines(home: string): string[] {
  const dir = path.join(home, 'logs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'));
}

/**
 * The thermal guard end to end: the devnet run on a simulated GPU that starts
 * over its 83 °C target (`tandem start --simulate-gpu`, a telemetry source like
 * any other). The trainer is throttled mid-window, the round still completes, and
 * the Dashboard shows the throttle.
 */
describe('thermal guard on a hot GPU, in the browser UI', () => {
  let session: AppInBrowser;
  let home: string;
  let app: RunningApp;
  let page: Page;

  beforeAll(async () => {
    session = await openAppInBrowser({ args: ['--headless', '--simulate-gpu'] });
    ({ home, app, page } = session);
  });

  afterAll(() => session?.close());

  it('throttles the trainer, shows it on the Dashboard, and the round still completes', async () => {
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Skip set-up' }).click();
    await page.getByTestId('join-button').click();

    // The guard reacts to the first hot frame; the Dashboard says so, and why.
    await expect.poll(() => page.getByTestId('throttle-state').textContent(), { timeout: 90_000, interval: 250 }).toMatch(/^Throttled · level \d$/);
    expect(await page.getByTestId('throttle-reason').textContent()).toMatch(/^GPU 0 at \d+ °C \(target 83 °C\)$/);
    expect(await page.getByTestId('throttle-indicator').textContent()).toContain('the round still completes');
    // The Dashboard's GPU card reads the same (simulated) source the guard reads.
    await expect.poll(() => page.getByTestId('gpu-card-0').textContent(), { timeout: 30_000 }).toMatch(/GPU 0 \(simulated\)/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'thermal-throttle.png'), fullPage: true });

    // The trainer itself took the throttle (answered over its protocol while training).
    await expect.poll(() => logLines(home).some((l) => l.includes('trainer throttle applied') && /"pauseMs":[1-9]/.test(l)), { timeout: 60_000 }).toBe(true);

    // And the rounds go on: one completes in full under the guard.
    await expect.poll(async () => Number(await page.getByTestId('rounds-completed').textContent()), { timeout: 240_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    const complete = await completedDevnetRounds(home);
    expect(complete.length).toBeGreaterThanOrEqual(1);
    // The simulated card cooled under the throttle instead of running to its 96 °C.
    const temps = await page.locator('.gpu-readings li').first().textContent();
    expect(Number(/GPU 0: (\d+) °C/.exec(temps ?? '')?.[1])).toBeLessThan(90);
  });

  it('lists the rounds on the Earnings page and exports them as CSV', async () => {
    await page.getByRole('button', { name: 'Earnings', exact: true }).click();
    await expect.poll(() => page.getByTestId('earnings-row').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('earnings-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^tandem-earnings-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path()) ?? '', 'utf8');
    expect(csv.split('\n')[0]).toBe('window,time,trained,uploaded,applied,score,weight,reward_rao,reward_tao,reason,energy_wh,energy_source,cost,currency');
    // Energy per round, measured from the (simulated) GPU's board power, at the price set on this page.
    // (The round in progress has none yet: its energy is written when its window ends; the list refreshes as rounds complete.)
    await expect.poll(async () => (await page.getByTestId('earnings-energy').allTextContents()).filter((t) => /^[\d.]+ k?Wh$/.test(t)).length, { timeout: 60_000 }).toBeGreaterThan(0);
    const costs = page.getByTestId('earnings-costs');
    await costs.getByLabel('Electricity price per kWh').fill('0.40');
    await costs.getByRole('button', { name: 'Save costs' }).click();
    await expect.poll(() => page.getByTestId('costs-cost').textContent()).toMatch(/^[\d.]+ EUR$/);
    expect(csv.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'earnings.png'), fullPage: true });
  });
});
