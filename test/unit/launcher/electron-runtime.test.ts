import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findElectronRuntime } from '../../../main/shells/cli/electron-runtime';
import { makeTempDir } from '../../support/temp-dir';

describe('findElectronRuntime', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let pkgDir: string;
  beforeEach(() => {
    temp = makeTempDir();
    pkgDir = path.join(temp.dir, 'node_modules', 'electron');
  });
  afterEach(() => temp.cleanup());

  const installPackage = () => {
    fs.mkdirSync(pkgDir, { recursive: true });
    fs.writeFileSync(path.join(pkgDir, 'package.json'), '{"name":"electron","version":"45.0.0"}');
  };

  it('says the package is missing', () => {
    expect(findElectronRuntime({ fromDir: temp.dir, env: {} })).toEqual({ available: false, reason: 'the electron package is not installed' });
  });

  it('says the binary was never downloaded, without trying to download it', () => {
    installPackage();
    const result = findElectronRuntime({ fromDir: temp.dir, env: { DISPLAY: ':0' }, platform: 'linux' });
    expect(result).toMatchObject({ available: false, reason: expect.stringContaining('never downloaded') });
  });

  it('says when path.txt names a binary that is not there', () => {
    installPackage();
    fs.writeFileSync(path.join(pkgDir, 'path.txt'), 'electron');
    expect(findElectronRuntime({ fromDir: temp.dir, env: { DISPLAY: ':0' }, platform: 'linux' })).toMatchObject({ available: false, reason: expect.stringContaining('missing') });
  });

  it('needs a display on Linux, and finds the binary when there is one', () => {
    installPackage();
    fs.writeFileSync(path.join(pkgDir, 'path.txt'), 'electron');
    fs.mkdirSync(path.join(pkgDir, 'dist'));
    fs.writeFileSync(path.join(pkgDir, 'dist', 'electron'), '');
    expect(findElectronRuntime({ fromDir: temp.dir, env: {}, platform: 'linux' })).toMatchObject({ available: false, reason: expect.stringContaining('no graphical display') });
    expect(findElectronRuntime({ fromDir: temp.dir, env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux' })).toEqual({
      available: true,
      executable: path.join(pkgDir, 'dist', 'electron'),
    });
    expect(findElectronRuntime({ fromDir: temp.dir, env: {}, platform: 'darwin' })).toMatchObject({ available: true });
  });

  it('honours TANDEM_ELECTRON_PATH', () => {
    const fake = path.join(temp.dir, 'my-electron');
    fs.writeFileSync(fake, '');
    expect(findElectronRuntime({ fromDir: temp.dir, env: { TANDEM_ELECTRON_PATH: fake, DISPLAY: ':1' }, platform: 'linux' })).toEqual({ available: true, executable: fake });
    expect(findElectronRuntime({ fromDir: temp.dir, env: { TANDEM_ELECTRON_PATH: '/nope' }, platform: 'linux' })).toMatchObject({ available: false });
  });
});
