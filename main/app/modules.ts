import type { AppMode } from '../../contract';
import type { CoreModule } from '../core/module';
import type { AppPaths } from '../platform/app-paths';
import { createHardwareModule } from '../hardware/module';
import { packageInfo } from '../platform/package-info';

/**
 * The one list of the core's domain modules. Each area of the app adds one
 * line here; the core checks that together they handle every method.
 */
export function createModules(_options: { mode: AppMode; paths: AppPaths }): CoreModule[] {
  const info = packageInfo();
  return [createHardwareModule({ app: { name: info.productName, version: info.version } })];
}
