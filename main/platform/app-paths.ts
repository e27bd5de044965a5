import path from 'node:path';
import envPaths from 'env-paths';

/** Where Tandem keeps its files. One shape for Electron and headless mode. */
export interface AppPaths {
  /** Durable data: checkpoints, wallets, ledgers. */
  dataDir: string;
  configDir: string;
  configFile: string;
  logDir: string;
  cacheDir: string;
}

function fromRoot(root: string): AppPaths {
  return {
    dataDir: path.join(root, 'data'),
    configDir: root,
    configFile: path.join(root, 'config.json'),
    logDir: path.join(root, 'logs'),
    cacheDir: path.join(root, 'cache'),
  };
}

/**
 * Headless mode follows the OS conventions (XDG on Linux). `TANDEM_HOME` puts
 * everything under one folder instead: tests and side-by-side instances use it.
 */
export function headlessAppPaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  const home = env['TANDEM_HOME'];
  if (home) return fromRoot(path.resolve(home));
  const os = envPaths('tandem', { suffix: '' });
  return {
    dataDir: os.data,
    configDir: os.config,
    configFile: path.join(os.config, 'config.json'),
    logDir: os.log,
    cacheDir: os.cache,
  };
}

/** In Electron everything lives under the app's userData folder (or TANDEM_HOME). */
export function electronAppPaths(userDataDir: string, env: NodeJS.ProcessEnv = process.env): AppPaths {
  const home = env['TANDEM_HOME'];
  return fromRoot(home ? path.resolve(home) : userDataDir);
}
