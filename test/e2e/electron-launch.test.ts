import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findElectronRuntime } from '../../main/shells/cli/electron-runtime';
import { REPO_ROOT } from '../support/start-app';
import { skippedUnless } from '../support/skip-note';
import { makeTempDir } from '../support/temp-dir';

const runtime = findElectronRuntime({ fromDir: REPO_ROOT });

describe.skipIf(!runtime.available)(`the desktop app (Electron)${skippedUnless(runtime.available, runtime.available ? '' : runtime.reason)}`, () => {
  it('opens the window, exposes only window.tandem, and shows live core state', async () => {
    if (!runtime.available) return;
    const temp = makeTempDir();
    const app = await electron.launch({
      executablePath: runtime.executable,
      args: [path.join(REPO_ROOT, 'dist', 'electron', 'main.mjs')],
      env: { ...process.env, TANDEM_HOME: temp.dir },
    });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('core-version').waitFor();
      const exposed = await page.evaluate(() => ({
        tandem: typeof (window as unknown as { tandem?: unknown }).tandem,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(exposed).toEqual({ tandem: 'object', require: 'undefined', process: 'undefined' });
      const first = await page.getByTestId('uptime').textContent();
      await expect.poll(() => page.getByTestId('uptime').textContent(), { timeout: 5000 }).not.toBe(first);
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', 'electron-shell.png') });
    } finally {
      await app.close();
      temp.cleanup();
    }
  });
});
