import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedDevnetRounds, openAppInBrowser, RESULTS_DIR, type AppInBrowser } from '../support/app-in-browser';
import type { RunningApp } from '../support/start-app';


/** The main job: join the embedded devnet from the UI and train rounds on the CPU. */
describe('joining the local devnet from the browser UI', () => {
  let session: AppInBrowser;
  let home: string;
  let app: RunningApp;
  let page: Page;

  beforeAll(async () => {
    session = await openAppInBrowser({ args: ['--headless'] });
    ({ home, app, page } = session);
  });

  afterAll(() => session?.close());

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
    await page.screenshot({ path: path.join(RESULTS_DIR, 'devnet-rounds.png'), fullPage: true });

    const complete = await completedDevnetRounds(home);
    expect(complete.length).toBeGreaterThanOrEqual(2);
    for (const round of complete) {
      expect(round.bytesUp).toBeGreaterThan(0);
      // The three simulated peers' updates were downloaded and used.
      expect(round.bytesDown).toBeGreaterThan(round.bytesUp);
      expect(Number.isFinite(round.loss)).toBe(true);
    }
  });
});
