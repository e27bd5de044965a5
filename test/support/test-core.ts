import path from 'node:path';
import pino from 'pino';
import { ConfigStore } from '../../main/core/config/config-store';
import { TandemCore } from '../../main/core/core';
import { LogRing } from '../../main/core/logging/log-ring';
import { createLogger } from '../../main/core/logging/logger';
import { createModules } from '../../main/app/modules';
import type { CoreModule } from '../../main/core/module';
import type { AppPaths } from '../../main/platform/app-paths';

/** A real core over a temp folder, logging to its in-memory ring (and, with `logFile`, to the real rotating log in `<dir>/logs`). */
export async function makeTestCore(dir: string, options: { now?: () => number; modules?: CoreModule[]; logFile?: boolean } = {}) {
  const paths: AppPaths = {
    dataDir: path.join(dir, 'data'),
    configDir: dir,
    configFile: path.join(dir, 'config.json'),
    logDir: path.join(dir, 'logs'),
    cacheDir: path.join(dir, 'cache'),
  };
  const config = await ConfigStore.load(paths.configFile);
  const logRing = new LogRing();
  const logger = options.logFile
    ? await createLogger({ logDir: paths.logDir, ring: logRing, level: 'debug', maxFileSizeMB: 5, maxFiles: 2 })
    : pino({ level: 'debug', base: { source: 'core' } }, logRing.stream());
  // The real modules, so every method of the contract has its handler; tests may add more.
  const modules = [...createModules({ mode: 'headless', paths, config }), ...(options.modules ?? [])];
  const core = new TandemCore({ name: 'Tandem', version: '9.9.9-test', mode: 'headless', paths, config, logger, logRing, ...(options.now ? { now: options.now } : {}), modules });
  return { core, config, logger, logRing, paths };
}
