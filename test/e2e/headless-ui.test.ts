import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppInBrowser, RESULTS_DIR, type AppInBrowser } from '../support/app-in-browser';
import { REPO_ROOT, type RunningApp } from '../support/start-app';

const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('headless mode in Chromium', () => {
  let session: AppInBrowser;
  let app: RunningApp;
  let page: Page;

  beforeAll(async () => {
    session = await openAppInBrowser();
    ({ app, page } = session);
  });

  afterAll(() => session?.close());

  it('says why it fell back to headless mode, in one line and without a stack trace', () => {
    const lines = app.output().split('\n');
    expect(lines.filter((l) => l.startsWith('Electron runtime not available ('))).toHaveLength(1);
    expect(app.output()).not.toMatch(/\n\s+at /);
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);
  });

  it('renders the app shell with live values from the core', async () => {
    await page.goto(app.url);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    for (const name of ['Dashboard', 'Hardware', 'Wallet', 'Network', 'Logs', 'Settings']) {
      expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);
    }
    // The first run opens on the set-up guide (covered by contributor-ui.test.ts).
    await page.getByRole('button', { name: 'Skip set-up' }).click();
    await expect.poll(() => page.getByTestId('core-version').textContent()).toBe(version);
    expect(await page.getByTestId('trainer-phase').textContent()).toBe('idle');

    // The uptime is pushed by the core every second; it must change without a reload.
    const first = await page.getByTestId('uptime').textContent();
    await expect.poll(() => page.getByTestId('uptime').textContent(), { timeout: 5000 }).not.toBe(first);

    // The token has been taken out of the address bar.
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'app-shell.png'), fullPage: true });
  });

  it('shows the live round card with what to do before joining', async () => {
    await page.getByTestId('live-round').waitFor();
    expect(await page.getByTestId('round-blocker').textContent()).toContain('press Join');
    expect(await page.getByTestId('join-button').textContent()).toBe('Join the run');
  });

  it('navigates by keyboard and shows the live log', async () => {
    await page.getByRole('button', { name: 'Dashboard', exact: true }).focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Logs');
    await expect.poll(() => page.getByTestId('log-lines').textContent()).toContain('core started');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'logs.png'), fullPage: true });
  });

  it('names the bad field when a setting is refused, and saves a good one', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const network = page.getByLabel('Network');
    await network.fill('http://wrong');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('network:');

    await network.fill('test');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved.');
    await page.getByRole('button', { name: 'Dashboard', exact: true }).click();
    await expect.poll(() => page.getByTestId('network-target').textContent()).toBe('test');
  });

  it('says once on the Dashboard why a Join was refused (the testnet, with no run named), and where to name the run', async () => {
    await page.getByTestId('join-button').click();
    await expect.poll(() => page.getByTestId('round-blocker').textContent(), { timeout: 20_000 }).toMatch(/^No run named for test: name it on the Network page/);
    expect(await page.getByText('No run named for test').count()).toBe(1);
    expect(await page.getByTestId('earning-headline').textContent()).toBe('Not earning: not in the run');
  });

  it('keeps the run fields on the Network page disabled until the saved run arrives, so a late answer overwrites nothing typed', async () => {
    // A tab whose settings.get answers are held back, as from a core busy training.
    const slow = await session.browser.newPage();
    const held: string[] = [];
    let holding = true;
    let release: () => void = () => undefined;
    const settingsIds = new Set<string>();
    await slow.routeWebSocket(/./, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        const envelope = JSON.parse(String(message)) as { method?: string; id?: string };
        if (envelope.method === 'settings.get' && envelope.id) settingsIds.add(envelope.id);
        server.send(message);
      });
      server.onMessage((message) => {
        const envelope = JSON.parse(String(message)) as { kind?: string; id?: string };
        if (holding && envelope.kind === 'response' && envelope.id && settingsIds.has(envelope.id)) held.push(String(message));
        else ws.send(message);
      });
      release = () => {
        holding = false;
        for (const message of held.splice(0)) ws.send(message);
      };
    });
    try {
      await slow.goto(app.url);
      await slow.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Network', exact: true }).click();
      const choice = slow.getByTestId('network-choice');
      const byManifest = choice.getByRole('radio', { name: /By its manifest/ });
      await byManifest.waitFor();
      await expect.poll(() => held.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await byManifest.isDisabled()).toBe(true);
      expect(await choice.getByLabel('Subnet', { exact: true }).isEditable()).toBe(false);

      release();
      await expect.poll(() => byManifest.isDisabled()).toBe(false);
      await byManifest.check();
      await choice.getByLabel('Manifest', { exact: true }).fill('/nowhere/run.json');
      // Nothing arriving later takes what was typed away.
      await slow.waitForTimeout(500);
      expect(await choice.getByLabel('Manifest', { exact: true }).inputValue()).toBe('/nowhere/run.json');
      expect(await byManifest.isChecked()).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('runs the hardware readiness check and shows each result with its remediation', async () => {
    await page.getByRole('button', { name: 'Hardware', exact: true }).click();
    await page.getByText('No readiness check has run').waitFor();
    await page.getByLabel('Skip network tests').check();
    await page.getByRole('button', { name: 'Run checks' }).click();
    await page.getByTestId('hardware-summary').waitFor({ timeout: 60_000 });
    // This machine has no GPU, so the default GPU requirements fail on gpu.present.
    const gpuRow = page.getByRole('row').filter({ hasText: 'gpu.present' });
    expect(await gpuRow.count()).toBe(1);
    expect(await gpuRow.textContent()).toMatch(/fail/i);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hardware.png'), fullPage: true });

    // The devnet needs no GPU: the same machine passes.
    await page.getByLabel('Requirements').selectOption('devnet');
    await page.getByRole('button', { name: 'Run again' }).click();
    await expect.poll(() => page.getByTestId('hardware-summary').textContent(), { timeout: 60_000 }).toMatch(/^pass|^warn/);
  });

  it('offers Train on by keyboard, CPU by default, the GPU option disabled with its reason on this GPU-less machine', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const group = page.getByRole('group', { name: 'Train on' });
    await group.waitFor();
    const cpu = group.getByRole('radio', { name: /^CPU/ });
    const gpu = group.getByRole('radio', { name: /^GPU \(CUDA, experimental\)/ });
    await expect.poll(() => cpu.isChecked()).toBe(true);
    expect(await gpu.isChecked()).toBe(false);
    // The readiness check above found no NVIDIA GPU: the option is off, and says so where a screen reader reads it.
    expect(await gpu.isDisabled()).toBe(true);
    const noteId = await gpu.getAttribute('aria-describedby');
    expect(noteId).toBeTruthy();
    await expect.poll(() => page.locator(`[id="${noteId}"]`).textContent()).toMatch(/^Not available: the hardware check found no NVIDIA GPU/);
    expect(await group.getAttribute('aria-describedby').then((id) => page.locator(`[id="${id}"]`).textContent())).toMatch(/experimental.*NVIDIA GPU.*next Join/);

    // Keyboard: Tab from the settings form's Save lands on the checked choice; the arrows cannot pick the disabled one.
    await page.getByRole('button', { name: 'Save', exact: true }).focus();
    await page.keyboard.press('Tab');
    expect(await cpu.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await cpu.isChecked()).toBe(true);
    expect(await gpu.isChecked()).toBe(false);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'settings-train-on.png'), fullPage: true });
  });

  it('creates a wallet, shows the recovery phrase once, and forgets it after', async () => {
    await page.getByRole('button', { name: 'Wallet', exact: true }).click();
    await page.getByLabel('Wallet name').fill('e2e');
    await page.getByLabel(/New coldkey passphrase/).fill('cold passphrase 123');
    await page.getByLabel(/New hotkey passphrase/).fill('hot passphrase 456');
    await page.getByRole('button', { name: 'Create' }).click();
    const reveal = page.getByTestId('reveal');
    await reveal.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Show the recovery phrase' }).click();
    // The words arrive with the reveal request's answer, after the click.
    await page.getByTestId('reveal-words').locator('li').first().waitFor();
    const words = (await page.getByTestId('reveal-words').locator('li').allTextContents()).map((w) => w.trim());
    expect(words).toHaveLength(12);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'wallet-reveal.png'), fullPage: true });
    await page.getByRole('button', { name: 'I wrote it down' }).click();
    await reveal.waitFor({ state: 'detached' });
    // The phrase is gone from the page once the dialog closes.
    const text = (await page.locator('body').textContent()) ?? '';
    expect(words.filter((w) => new RegExp(`\\b${w}\\b`).test(text)).length).toBeLessThan(4);
    expect(text).not.toContain(words.join(' '));
    await expect.poll(() => page.locator('body').textContent()).toMatch(/5[1-9A-HJ-NP-Za-km-z]{47}/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'wallet.png'), fullPage: true });
  });

  it('keeps working after a reload (token kept for this tab only)', async () => {
    await page.reload();
    await expect.poll(() => page.getByTestId('core-version').textContent()).toBe(version);
  });

  it('shows a plain message in a tab opened without the token', async () => {
    const other = await session.browser.newPage();
    await other.goto(app.origin);
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('no valid access token');
    await other.close();
  });
});
