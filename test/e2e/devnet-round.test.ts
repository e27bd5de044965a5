import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoundLedger } from '../../main/ledger/round-ledger';
import { launchChromium } from '../support/browser';
import { REPO_ROOT, startApp, type RunningApp } from '../support/start-app';
import { makeTempDir } from '../support/temp-dir';

const RESULTS = path.join(REPO_ROOT, 'test-results');

/** The main job: join the embedded devnet from the UI and train rounds on the CPU. */
describe('joining the local devnet from the browser UI', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(RESULTS, { recursive: true });
    temp = makeTempDir();
    app = await startApp({ home: temp.dir, args: ['--headless'] });
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    temp?.cleanup();
  });

  it('completes rounds, showing window, phase and inner-step progress live, and records them in the ledger', async () => {
    await page.goto(app.url);
    // The first run opens on the set-up guide (covered by contributor-ui.test.ts).
    await page.getByRole('button', { name: 'Skip set-up' }).click();
    await page.getByTestId('join-button').click();

    // Live progress: the inner-step counter moves while a window trains.
    const progress = page.getByText(/^Inner steps \d+ \/ \d+/);
    await expect.poll(async () => Number(/Inner steps (\d+)/.exec((await progress.textContent()) ?? '')?.[1] ?? 0), { timeout: 60_000 }).toBeGreaterThan(0);
    const phases = new Set<string>();
    const windows = new Set<string>();
    await expect
      .poll(
        async () => {
          phases.add((await page.getByTestId('round-phase').textContent()) ?? '');
          windows.add((await page.getByTestId('round-window').textContent()) ?? '');
          return Number(await page.getByTestId('rounds-completed').textContent());
        },
        { timeout: 150_000, interval: 250 },
      )
      .toBeGreaterThanOrEqual(2);
    expect(phases).toContain('training');
    expect([...windows].filter((w) => /^\d+$/.test(w)).length).toBeGreaterThanOrEqual(2);
    await page.getByTestId('phase-timeline').waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'devnet-rounds.png'), fullPage: true });

    const ledger = new RoundLedger(path.join(temp.dir, 'data', 'devnet', 'peers', 'me', 'rounds.ndjson'));
    const complete = (await ledger.summaries()).filter((s) => ['trained', 'uploaded', 'gathered', 'applied'].every((p) => s.phases.includes(p)));
    expect(complete.length).toBeGreaterThanOrEqual(2);
    for (const round of complete) {
      expect(round.bytesUp).toBeGreaterThan(0);
      // The three simulated peers' updates were downloaded and used.
      expect(round.bytesDown).toBeGreaterThan(round.bytesUp);
      expect(Number.isFinite(round.loss)).toBe(true);
    }
  });
});
