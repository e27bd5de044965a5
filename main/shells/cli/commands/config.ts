import type { Command } from 'commander';
import { ConfigStore } from '../../../core/config/config-store';
import { headlessAppPaths } from '../../../platform/app-paths';

/** `tandem config path|show|check`: find and verify the config file without starting anything. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('show where the config file is, print it, or check it');
  config
    .command('path')
    .description('print the config file path')
    .action(() => console.log(headlessAppPaths().configFile));
  config
    .command('show')
    .description('print the effective config (defaults filled in)')
    .action(async () => {
      const store = await ConfigStore.load(headlessAppPaths().configFile);
      console.log(JSON.stringify(store.value, null, 2));
    });
  config
    .command('check')
    .description('validate the config file and name any bad field')
    .action(async () => {
      const file = headlessAppPaths().configFile;
      await ConfigStore.load(file);
      console.log(`${file}: ok`);
    });
}
