import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { headlessAppPaths } from '../../platform/app-paths';
import { packageInfo } from '../../platform/package-info';
import { missingResources, resourceLayout, type ResourceLayout } from '../../platform/resources';

/** The trainer and corpus a devnet command needs; a machine without them is told how to build them, and the command stops. */
export function requireTrainer(what: string): ResourceLayout {
  const layout = resourceLayout({ appRoot: packageInfo().root });
  const missing = missingResources(layout);
  if (missing.length > 0) {
    console.error(`Cannot ${what}: the trainer is not built on this machine (missing ${missing.join(', ')}). Run npm run build:native.`);
    process.exit(2);
  }
  return layout;
}

/**
 * A devnet command's folder (the option, else `<data>/<name>`, apart from the
 * app's own devnet) and its log file there: the terminal gets progress lines,
 * everything else goes to the log.
 */
export function devnetFolder(root: string | undefined, name: string) {
  const folder = path.resolve(root ?? path.join(headlessAppPaths().dataDir, name));
  fs.mkdirSync(folder, { recursive: true });
  const logFile = path.join(folder, 'devnet.log');
  const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: false, mkdir: true }));
  return { root: folder, logFile, logger };
}
