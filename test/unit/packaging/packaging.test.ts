import path from 'node:path';
import { DebugLogger } from 'builder-util';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { describe, expect, it } from 'vitest';
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
    });
  });

  it('finds them beside the asar archive when packaged, matching electron-builder.yml', () => {
    const layout = resourceLayout({ appRoot: '/opt/Tandem/resources/app.asar', resourcesPath: '/opt/Tandem/resources', platform: 'win32' });
    expect(layout).toEqual({
      kind: 'packaged',
      trainerExecutable: '/opt/Tandem/resources/bin/tandem-trainer.exe',
      codecAddon: '/opt/Tandem/resources/app.asar.unpacked/native/addon/build/Release/tandem_codec.node',
      devnetCorpus: '/opt/Tandem/resources/data/sotu',
    });
  });

  it('names what is missing', () => {
    const layout = resourceLayout({ appRoot: '/src/tandem', platform: 'linux' });
    expect(missingResources(layout, (f) => f.endsWith('.node'))).toEqual(['trainerExecutable (/src/tandem/build/trainer/tandem-trainer)']);
  });
});
