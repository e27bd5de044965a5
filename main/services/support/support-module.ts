import type { supportMethods } from '../../../contract/domains/support';
import type { CoreModule } from '../../core/module';
import { asCoreHandlers, type DomainHandlers } from '../../core/domain-module';
import { buildSupportBundle } from './support-bundle';

export function createSupportModule(options: { app: { name: string; version: string; mode: string } }): CoreModule {
  return {
    name: 'support',
    handlers(ctx) {
      const handlers: DomainHandlers<typeof supportMethods> = {
        'support.bundle': async () => {
          const bundle = await buildSupportBundle({ app: options.app, logDir: ctx.paths.logDir, configFile: ctx.paths.configFile });
          ctx.logger.info({ filename: bundle.filename, bytes: bundle.text.length }, 'support bundle exported');
          return bundle;
        },
      };
      return asCoreHandlers(handlers);
    },
  };
}
