import type { Page } from 'playwright-core';

/**
 * Opens the app at `url` on its Dashboard and records, from then on, every
 * sentence the live round card says while the round waits (its
 * `round-blocker` line), in order, each once in a row. Answers a reader of
 * what was seen so far: sentences that come and go between two polls (a
 * download's progress, a catch-up's windows) are all kept.
 */
export async function watchRoundBlocker(page: Page, url: string): Promise<() => Promise<string[]>> {
  await page.goto(url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Dashboard', exact: true }).click();
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="round-blocker"]')?.textContent;
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { seen: string[] }).seen);
}
