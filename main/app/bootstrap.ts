import type { AppMode } from '../../contract';
import { ConfigStore } from '../core/config/config-store';
import { TandemCore } from '../core/core';
import { LogRing } from '../core/logging/log-ring';
import { createLogger, type Logger } from '../core/logging/logger';
import type { AppPaths } from '../platform/app-paths';
import { packageInfo } from '../platform/package-info';
import type { Keychain } from '../adapters/keychain';
import { createModules } from './modules';

export interface Runtime {
  core: TandemCore;
  config: ConfigStore;
  logger: Logger;
  paths: AppPaths;
  shutdown(): Promise<void>;
}

/**
 * Builds the core the same way for Electron and headless mode: config first
 * (a broken file stops here with a ConfigError naming the field), then logs,
 * then the core itself.
 */
export async function bootstrap(mode: AppMode, paths: AppPaths, overrides: { network?: string; manifest?: string; netuid?: number; runOwner?: string; keychain?: Keychain } = {}): Promise<Runtime> {
  const config = await ConfigStore.load(paths.configFile);
  if (overrides.network !== undefined && overrides.network !== config.value.network) {
    await config.update((draft) => ({ ...draft, network: overrides.network as string }));
  }
  // A run named anew (by its manifest or its subnet) replaces the old naming whole: what is not named again goes.
  const { manifest, netuid } = overrides;
  if ((manifest !== undefined || netuid !== undefined) && (manifest !== config.value.manifest || netuid !== config.value.netuid)) {
    await config.update((draft) => ({ ...draft, manifest: manifest ?? null, netuid: netuid ?? null, runOwner: overrides.runOwner ?? null }));
  }
  if (overrides.runOwner !== undefined && overrides.runOwner !== config.value.runOwner) {
    await config.update((draft) => ({ ...draft, runOwner: overrides.runOwner as string }));
  }
  // A data folder chosen in Settings takes over from the OS default at start.
  if (config.value.dataDir) paths = { ...paths, dataDir: config.value.dataDir };
  const logRing = new LogRing();
  const logger = await createLogger({ logDir: paths.logDir, ring: logRing, ...config.value.logging });
  const pkg = packageInfo();
  const core = new TandemCore({ name: pkg.productName, version: pkg.version, mode, paths, config, logger, logRing, modules: createModules({ mode, paths, config, ...(overrides.keychain ? { keychain: overrides.keychain } : {}) }) });
  await core.start();
  return {
    core,
    config,
    logger,
    paths,
    async shutdown() {
      await core.stop();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
  };
}
