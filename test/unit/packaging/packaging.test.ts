import path from 'node:path';
import { DebugLogger } from 'builder-util';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { findPackagedApp, packagedExecutableCandidates, packagedResourcesDir } from '../../../main/platform/packaged-app';
import { missingResources, resourceLayout } from '../../../main/platform/resources';
import { REPO_ROOT } from '../../support/start-app';

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema check", async () => {
    const config = await getConfig(REPO_ROOT, path.join(REPO_ROOT, 'electron-builder.yml'), null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg']);
  });

  it('configures electron-updater: a publish provider, update files for every channel, and the updater shipped as a dependency', async () => {
    const config = await getConfig(REPO_ROOT, path.join(REPO_ROOT, 'electron-builder.yml'), null);
    expect(config.publish).toMatchObject({ provider: 'github', owner: expect.any(String), repo: expect.any(String) });
    expect(config.generateUpdatesFilesForAllChannels).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    // Only dependencies go into the packaged app; the updater runs there.
    expect(pkg.dependencies['electron-updater']).toBeDefined();
    expect(pkg.devDependencies['electron-updater']).toBeUndefined();
    // The trainer and the addon ship outside the asar archive, the tray icon inside.
    expect(config.extraResources).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'build/trainer/', to: 'bin/' })]));
    // The devnet node serves subtensor's runtime from resources/subtensor (see resourceLayout).
    expect(config.extraResources).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'assets/subtensor/', to: 'subtensor/' })]));
    expect(config.asarUnpack).toEqual(['native/addon/build/Release/*.node']);
    expect(config.files).toEqual([{ filter: expect.arrayContaining(['dist/**', 'assets/tray*.png']) }]);
  });

  it('the schema check is real: a misspelt option fails it', async () => {
    const config = await getConfig(REPO_ROOT, path.join(REPO_ROOT, 'electron-builder.yml'), null);
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, targte: 'deb' } as never }, new DebugLogger(false))).rejects.toThrow(/Invalid configuration object/);
  });
});

describe('resource layout', () => {
  it('finds the native parts in the repository during development', () => {
    const layout = resourceLayout({ appRoot: '/src/tandem', platform: 'linux' });
    expect(layout).toEqual({
      kind: 'development',
      trainerExecutable: '/src/tandem/build/trainer/tandem-trainer',
      codecAddon: '/src/tandem/native/addon/build/Release/tandem_codec.node',
      devnetCorpus: '/src/tandem/native/data/sotu',
      subtensorRuntime: '/src/tandem/assets/subtensor',
    });
  });

  it('finds them beside the asar archive when packaged, matching electron-builder.yml', () => {
    const layout = resourceLayout({ appRoot: '/opt/Tandem/resources/app.asar', resourcesPath: '/opt/Tandem/resources', platform: 'win32' });
    expect(layout).toEqual({
      kind: 'packaged',
      trainerExecutable: '/opt/Tandem/resources/bin/tandem-trainer.exe',
      codecAddon: '/opt/Tandem/resources/app.asar.unpacked/native/addon/build/Release/tandem_codec.node',
      devnetCorpus: '/opt/Tandem/resources/data/sotu',
      subtensorRuntime: '/opt/Tandem/resources/subtensor',
    });
  });

  it('finds the packaged executable electron-builder --dir leaves in release/, per platform', () => {
    const base = { releaseDir: '/r', productName: 'Tandem', executableName: 'tandem', arch: 'x64' };
    expect(packagedExecutableCandidates({ ...base, platform: 'linux' })[0]).toBe('/r/linux-unpacked/tandem');
    expect(packagedExecutableCandidates({ ...base, platform: 'win32' })[0]).toBe('/r/win-unpacked/Tandem.exe');
    expect(packagedExecutableCandidates({ ...base, platform: 'darwin' })[0]).toBe('/r/mac/Tandem.app/Contents/MacOS/Tandem');
    expect(findPackagedApp({ ...base, platform: 'linux' }, (f) => f === '/r/linux-x64-unpacked/tandem')).toEqual({ found: true, executable: '/r/linux-x64-unpacked/tandem' });
    expect(findPackagedApp({ ...base, platform: 'linux' }, () => false)).toMatchObject({ found: false, reason: expect.stringContaining('npm run package -- --dir') });
  });

  it('the packaged executable and the resource layout agree on where the trainer is', () => {
    const resources = packagedResourcesDir('/r/linux-unpacked/tandem', 'linux');
    expect(resources).toBe('/r/linux-unpacked/resources');
    const layout = resourceLayout({ appRoot: path.join(resources, 'app.asar'), resourcesPath: resources, platform: 'linux' });
    expect(layout.trainerExecutable).toBe('/r/linux-unpacked/resources/bin/tandem-trainer');
    expect(packagedResourcesDir('/r/mac/Tandem.app/Contents/MacOS/Tandem', 'darwin')).toBe('/r/mac/Tandem.app/Contents/Resources');
  });

  it('names what is missing', () => {
    const layout = resourceLayout({ appRoot: '/src/tandem', platform: 'linux' });
    expect(missingResources(layout, (f) => f.endsWith('.node'))).toEqual(['trainerExecutable (/src/tandem/build/trainer/tandem-trainer)']);
  });
});
