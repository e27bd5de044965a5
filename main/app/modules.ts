import path from 'node:path';
import type { AppMode } from '../../contract';
import type { CoreModule } from '../core/module';
import type { AppPaths } from '../platform/app-paths';
import { createHardwareModule } from '../hardware/module';
import { packageInfo } from '../platform/package-info';
import { ContractError } from '../../contract/errors';
import { missingResources, resourceLayout } from '../platform/resources';
import { createRoundModule } from '../round/round-module';
import { createDevnetRuntime } from '../devnet/devnet-runtime';
import { createChainModule } from '../chain/chain-module';
import { createWalletModule } from '../wallet/wallet-module';
import type { Keychain } from '../wallet/keychain';
import { WalletService } from '../wallet/wallet-service';
import { createOperations, devnetLedgerFiles } from '../operations/operations';

/**
 * The one list of the core's domain modules. Each area of the app adds one
 * line here; the core checks that together they handle every method.
 */
export function createModules(options: { mode: AppMode; paths: AppPaths; keychain?: Keychain }): CoreModule[] {
  const info = packageInfo();
  // Guard, schedule, earnings and notifications; TANDEM_SIMULATE_GPU=hot adds a simulated hot GPU (devnet demo).
  const ops = createOperations({ ...devnetLedgerFiles(options.paths.dataDir), simulateGpu: process.env['TANDEM_SIMULATE_GPU'] });
  const wallet = new WalletService({ root: path.join(options.paths.dataDir, 'wallets'), ...(options.keychain ? { keychain: options.keychain } : {}) });
  return [
    createWalletModule(wallet),
    ops.tap(createChainModule({ wallet, dataDir: path.join(options.paths.dataDir, 'chain') })),
    ops.tap(createHardwareModule({ app: { name: info.productName, version: info.version } })),
    createRoundModule({
      onRuntime: (runtime) => ops.attach(runtime),
      onState: (state) => ops.observeRound(state),
      createRuntime: async (ctx, onState) => {
        const layout = resourceLayout({ appRoot: info.root, ...electronResources() });
        const missing = missingResources(layout);
        if (missing.length > 0) throw new ContractError('FAILED', `Cannot join: the trainer is not built on this machine (missing ${missing.join(', ')}). Run npm run build:native.`);
        const network = ctx.config.value.network;
        if (network !== 'devnet') {
          throw new ContractError('FAILED', `Cannot join ${network} yet: this build trains only on the local devnet. Choose devnet in Settings.`);
        }
        return createDevnetRuntime({
          root: path.join(options.paths.dataDir, 'devnet'),
          trainerExecutable: layout.trainerExecutable,
          corpusDir: layout.devnetCorpus,
          logger: ctx.logger,
          onState,
          trainerEnv: ops.trainerEnv(ctx),
          onTrainerSupervisor: ops.onTrainerSupervisor,
        });
      },
    }),
    ...ops.modules,
  ];
}

/** Electron's resources folder, present only when packaged. */
function electronResources(): { resourcesPath?: string } {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  return resourcesPath ? { resourcesPath } : {};
}
