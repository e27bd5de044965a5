import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../support/axe';
import { openAppInBrowser, RESULTS_DIR, type AppInBrowser } from '../support/app-in-browser';
import { startLocalS3, type LocalS3 } from '../support/local-s3-server';
import { startApp, type RunningApp } from '../support/start-app';
import { localKeyPairs } from '../support/storage-key-pairs';

const PASSPHRASE = 'e2e storage passphrase';

/**
 * Settings → Storage in Chromium against headless mode and a local S3
 * server: the empty state, a refused field, save, test with progress and the
 * result table, a restart that leaves the keys locked until the passphrase,
 * and clear with confirmation, all checked by axe.
 */
describe('Settings → Storage', () => {
  let s3: LocalS3;
  let session: AppInBrowser;
  let page: Page;
  let restarted: RunningApp | undefined;
  let card: Locator;

  const openSettings = async (url: string) => {
    await page.goto(url);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const skip = page.getByRole('button', { name: 'Skip set-up' });
    if (await skip.isVisible()) await skip.click();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    card = page.getByTestId('storage-card');
    await card.waitFor();
  };
  const axeInBothThemes = async (name: string) => {
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await card.screenshot({ path: path.join(RESULTS_DIR, `storage-${name}-${theme}.png`) });
      expect(await seriousA11yViolations(page), `${name} (${theme})`).toEqual([]);
    }
  };

  beforeAll(async () => {
    s3 = await startLocalS3();
    session = await openAppInBrowser({ args: ['--headless'], page: { viewport: { width: 1280, height: 1000 }, bypassCSP: true } });
    page = session.page;
  });

  afterAll(async () => {
    await restarted?.stop();
    await session?.close();
    await s3?.stop();
  });

  it('explains why a bucket is needed, refuses a bad bucket by name, then saves and tests', async () => {
    const keys = localKeyPairs(s3);
    await openSettings(session.app.url);
    await expect.poll(() => card.getByRole('note').first().textContent()).toMatch(/its own S3-compatible bucket.*read key.*becomes public/s);
    await axeInBothThemes('empty');

    await card.getByRole('radio', { name: /Other S3-compatible server/ }).check();
    await card.getByRole('textbox', { name: /^S3 URL/ }).fill(s3.endpoint);
    await card.getByRole('textbox', { name: /^Bucket/ }).fill('Bad_Bucket');
    await card.getByLabel('Write access key id').fill(keys.write.accessKeyId);
    await card.getByLabel('Write secret access key').fill(keys.write.secretAccessKey);
    await card.getByLabel('Read access key id').fill(keys.read.accessKeyId);
    await card.getByLabel('Read secret access key').fill(keys.read.secretAccessKey);
    await card.getByLabel(/^Storage passphrase/).fill(PASSPHRASE);
    await card.getByLabel('Repeat the storage passphrase').fill(PASSPHRASE);
    await card.getByRole('button', { name: 'Use this bucket' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toMatch(/a bucket name uses lowercase letters only/);
    expect(await card.getByRole('textbox', { name: /^Bucket/ }).getAttribute('aria-invalid')).toBe('true');

    await card.getByRole('textbox', { name: /^Bucket/ }).fill(s3.bucket);
    await card.getByRole('button', { name: 'Use this bucket' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toMatch(/^Saved\./);
    expect(await card.getByTestId('storage-summary').textContent()).toContain(keys.read.accessKeyId);
    // The secrets went to the core and are gone from the page.
    expect(await card.locator('input[type="password"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(['', '', '', '']);
    expect(await page.content()).not.toContain(keys.write.secretAccessKey);

    // By keyboard: focus Test storage and press Enter.
    await card.getByRole('button', { name: 'Test storage' }).focus();
    await page.keyboard.press('Enter');
    const result = card.getByTestId('storage-test-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.locator('tr[data-step="write.put"]').getAttribute('data-status')).toBe('pass');
    expect(await result.locator('tr[data-step="read.get"]').getAttribute('data-status')).toBe('pass');
    await expect.poll(() => card.getByTestId('storage-speed').textContent()).toMatch(/Latency[\d.]+ msUpload[\d.]+ Mb\/sDownload[\d.]+ Mb\/s/);
    // The local server lets every key write: the warning must say so, loudly, exactly when the step warns.
    const readKeyWrites = (await result.locator('tr[data-step="read.cannot-write"]').getAttribute('data-status')) === 'warn';
    expect(await card.getByTestId('storage-test-warning').count()).toBe(readKeyWrites ? 1 : 0);
    if (readKeyWrites) expect(await card.getByTestId('storage-test-warning').textContent()).toMatch(/The read key can write: anyone who reads it from the chain could overwrite or delete your updates/);
    await axeInBothThemes('tested');
  });

  it('after a restart the keys are locked: a wrong passphrase is refused, the right one unlocks; Clear asks first', async () => {
    // The passphrase variable holds a wrong passphrase: start says so in one line, and the keys stay locked.
    await session.app.stop();
    restarted = await startApp({ home: session.home, args: ['--headless', '--storage-passphrase-env', 'E2E_STORAGE_PASS'], env: { E2E_STORAGE_PASS: 'not the passphrase' } });
    expect(restarted.output()).toMatch(/Storage keys stay locked: the passphrase in E2E_STORAGE_PASS did not open them/);
    await openSettings(restarted.url);
    const unlock = card.getByTestId('storage-unlock');
    await unlock.waitFor();
    expect(await card.getByRole('button', { name: 'Test storage' }).isDisabled()).toBe(true);
    await unlock.getByLabel('Storage passphrase').fill('still not it');
    await unlock.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toMatch(/Wrong storage passphrase/);
    await unlock.getByLabel('Storage passphrase').fill(PASSPHRASE);
    await unlock.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Unlocked for this run of the app.');
    expect(await card.getByRole('button', { name: 'Test storage' }).isDisabled()).toBe(false);
    await axeInBothThemes('unlocked');

    await card.getByRole('button', { name: 'Clear storage…' }).click();
    const confirm = card.getByRole('group', { name: 'Confirm removal' });
    // Focus moves to the confirmation, and Escape backs out.
    expect(await confirm.getByRole('button', { name: 'Remove them' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    expect(await confirm.count()).toBe(0);
    await card.getByRole('button', { name: 'Clear storage…' }).click();
    await page.keyboard.press('Enter');
    await expect.poll(() => card.getByRole('status').textContent()).toMatch(/^Removed the bucket and both key pairs/);
    await expect.poll(() => card.getByRole('note').first().textContent()).toMatch(/its own S3-compatible bucket/);
  });
});
