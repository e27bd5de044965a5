import fs from 'node:fs';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findElectronRuntime } from '../../main/shells/cli/electron-runtime';
import { findPackagedApp, packagedResourcesDir } from '../../main/platform/packaged-app';
import { resourceLayout } from '../../main/platform/resources';
import { REPO_ROOT } from '../support/start-app';
import { skippedUnless } from '../support/skip-note';
import { makeTempDir } from '../support/temp-dir';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; productName: string };
const packaged = findPackagedApp({ releaseDir: path.join(REPO_ROOT, 'release'), productName: pkg.productName, executableName: pkg.name, platform: process.platform });
const noDisplay = process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY'];
const runtime = findElectronRuntime({ fromDir: REPO_ROOT });
// electron-builder copies the Electron runtime into the package: without it nothing can have been packaged here.
const skipReason = !packaged.found
  ? runtime.available || runtime.reason.startsWith('no graphical display')
    ? packaged.reason
    : `Electron is absent (${runtime.reason}), so no app was packaged`
  : noDisplay
    ? 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)'
    : null;

/** The app as users install it: `npm run package -- --dir`, then launched from release/. */
describe.skipIf(skipReason !== null)(`the packaged app (electron-builder --dir)${skippedUnless(skipReason === null, skipReason ?? '')}`, () => {
  it('starts from its packaged executable, finds the trainer in its resources, and shows live core state', async () => {
    if (!packaged.found) return;
    const temp = makeTempDir();
    const app = await electron.launch({ executablePath: packaged.executable, env: { ...process.env, TANDEM_HOME: temp.dir } });
    try {
      const resourcesPath = await app.evaluate(() => process.resourcesPath);
      expect(path.resolve(resourcesPath)).toBe(path.resolve(packagedResourcesDir(packaged.executable, process.platform)));
      const layout = resourceLayout({ appRoot: path.join(resourcesPath, 'app.asar'), resourcesPath });
      expect(layout.kind).toBe('packaged');
      expect(fs.existsSync(layout.trainerExecutable)).toBe(true);
      expect(fs.existsSync(layout.codecAddon)).toBe(true);
      expect(fs.existsSync(layout.devnetCorpus)).toBe(true);
      expect(fs.existsSync(path.join(layout.subtensorRuntime, 'metadata-finney-spec424-v16.scale'))).toBe(true);

      const page = await app.firstWindow();
      await page.getByTestId('core-version').waitFor();
      const first = await page.getByTestId('uptime').textContent();
      await expect.poll(() => page.getByTestId('uptime').textContent(), { timeout: 10_000 }).not.toBe(first);
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', 'packaged-app.png') });
    } finally {
      await app.close();
      temp.cleanup();
    }
  });
});
