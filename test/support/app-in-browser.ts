import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { RoundLedger } from '../../main/services/earnings/round-ledger';
import type { RoundSummary } from '../../contract/domains/round';
import { assertChromium, launchChromium } from './browser';
import { REPO_ROOT, startApp, type RunningApp } from './start-app';
import { makeTempDir } from './temp-dir';

/** Where e2e tests leave screenshots and reports. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

export interface AppInBrowser {
  /** The app's TANDEM_HOME (a fresh temporary folder). */
  home: string;
  app: RunningApp;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * The app in headless mode in a fresh home, and a Chromium page for it (not
 * yet opened at its URL). Chromium is looked for first, so that without it
 * nothing is started; if a later step fails, what was started is stopped
 * before the error is thrown (the caller gets no session to close).
 */
export async function openAppInBrowser(options: { args?: string[]; page?: BrowserContextOptions } = {}): Promise<AppInBrowser> {
  assertChromium();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const temp = makeTempDir();
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    try {
      await browser?.close();
    } finally {
      await app?.stop();
      temp.cleanup();
    }
  };
  try {
    app = await startApp({ home: temp.dir, ...(options.args ? { args: options.args } : {}) });
    browser = await launchChromium();
    const page = await browser.newPage(options.page);
    return { home: temp.dir, app, browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Rounds of this machine's devnet peer that went through every phase, read from its ledger. */
export async function completedDevnetRounds(home: string): Promise<RoundSummary[]> {
  const ledger = new RoundLedger(path.join(home, 'data', 'devnet', 'peers', 'me', 'rounds.ndjson'));
  return (await ledger.summaries()).filter((s) => ['trained', 'uploaded', 'gathered', 'applied'].every((p) => s.phases.includes(p)));
}
