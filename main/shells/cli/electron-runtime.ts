import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export type ElectronRuntime = { available: true; executable: string } | { available: false; reason: string };

/**
 * Finds a runnable Electron binary without touching the network. We must not
 * `require('electron')`: since Electron 45 that call downloads the binary when
 * it is missing, which hangs or fails on machines without internet access.
 */
export function findElectronRuntime(options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; fromDir?: string } = {}): ElectronRuntime {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;

  const override = env['TANDEM_ELECTRON_PATH'];
  let executable: string | undefined;
  if (override) {
    if (!fs.existsSync(override)) return { available: false, reason: `TANDEM_ELECTRON_PATH points to ${override}, which does not exist` };
    executable = override;
  } else {
    let packageDir: string;
    try {
      const require = createRequire(path.join(options.fromDir ?? process.cwd(), 'noop.js'));
      packageDir = path.dirname(require.resolve('electron/package.json'));
    } catch {
      return { available: false, reason: 'the electron package is not installed' };
    }
    const pathFile = path.join(packageDir, 'path.txt');
    if (!fs.existsSync(pathFile)) return { available: false, reason: 'the Electron runtime binary was never downloaded (no network access to its download host)' };
    executable = path.join(packageDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
    if (!fs.existsSync(executable)) return { available: false, reason: `the Electron runtime binary is missing at ${executable}` };
  }

  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) {
    return { available: false, reason: 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { available: true, executable };
}
