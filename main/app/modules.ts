import path from 'node:path';
import type { AppMode } from '../../contract';
import type { CoreModule } from '../core/module';
import type { AppPaths } from '../platform/app-paths';
import type { ConfigStore } from '../core/config/config-store';
import { createHardwareModule } from '../services/hardware/module';
import { gpuTelemetryFeed, TelemetryHub } from '../services/hardware/telemetry-hub';
import { simulatedGpuFromEnv } from '../services/guard/simulated-gpu';
import { packageInfo } from '../platform/package-info';
import { folderSize } from '../platform/folder-size';
import { ContractError } from '../../contract/errors';
import { missingResources, resourceLayout } from '../platform/resources';
import { createRoundModule } from '../services/round/round-module';
import { createDevnetRuntime } from '../devnet/devnet-runtime';
import { trainerDevice } from '../adapters/trainer/trainer-config';
import { createChainModule } from '../services/chain/chain-module';
import { openSubtensor } from '../services/chain/open-subtensor';
import { SubtensorChain } from '../adapters/subtensor/subtensor-chain';
import type { Logger } from '../core/logging/logger';
import type { NetworkRuntime } from '../network/network-runtime';
import { S3Storage } from '../adapters/storage/s3-storage';
import { createFitModule } from '../services/fit/fit-module';
import { fitDevice } from '../services/fit/fit-device';
import { devnetManifest } from '../devnet/devnet-manifest';
import { runDevnetTrial } from '../devnet/devnet-trial';
import { createNetworkModule } from '../network/network-module';
import { JoinedRunLink } from '../network/joined-run';
import { NamedRun } from '../network/named-run';
import { manifestDigest, type VerifiedManifest } from '../services/run/signed-manifest';
import { joinNetwork, runFolderName } from '../network/join-network';
import type { StorageCredentials } from '../ports/storage-credentials';
import { resolveTarget } from '../adapters/subtensor/networks';
import { createSupportModule } from '../services/support/support-module';
import { createWalletModule } from '../services/wallet/wallet-module';
import type { Keychain } from '../adapters/keychain';
import { WalletService } from '../services/wallet/wallet-service';
import { createOperations, devnetLedgerFiles } from './operations';
import { createStorageModule } from '../services/bucket/storage-module';
import { StorageCredentialsService, storageSecretsFile } from '../services/bucket/storage-credentials-service';

/**
 * The one list of the core's domain modules. Each area of the app adds one
 * line here; the core checks that together they handle every method.
 */
export function createModules(options: { mode: AppMode; paths: AppPaths; config: ConfigStore; keychain?: Keychain }): CoreModule[] {
  const info = packageInfo();
  // Where the trainer and the devnet corpus are: the repo in development, the app's resources when packaged.
  const layout = () => resourceLayout({ appRoot: info.root, ...electronResources() });
  // TANDEM_SIMULATE_GPU=hot: a simulated GPU that starts over its target replaces the real telemetry (devnet demo, tests).
  const simulatedGpu = simulatedGpuFromEnv(process.env['TANDEM_SIMULATE_GPU']);
  const telemetry = new TelemetryHub(simulatedGpu ? simulatedGpu.feed() : gpuTelemetryFeed());
  // Guard, schedule, earnings and notifications.
  const ops = createOperations({ ...devnetLedgerFiles(options.paths.dataDir), telemetry, simulatedGpu });
  const wallet = new WalletService({ root: path.join(options.paths.dataDir, 'wallets'), ...(options.keychain ? { keychain: options.keychain } : {}) });
  // The devnet's node runs once joined: its endpoint, for the chain module to follow like any network's.
  let devnetEndpoint: string | null = null;
  const devnetUrl = () => devnetEndpoint;
  // The run joined now, on whichever network: what the Network page and `tandem status` show.
  const run = new JoinedRunLink();
  // The run named for a network other than the devnet (--manifest, --run-owner), verified once read.
  const named = new NamedRun(() => ({ network: options.config.value.network, manifest: options.config.value.manifest, netuid: options.config.value.netuid, owner: options.config.value.runOwner }));
  // A run named by its subnet alone has that subnet before its manifest is found.
  const namedNetuid = (target: string) => (options.config.value.network === target ? options.config.value.netuid : null);
  const manifestFor = (target: string): VerifiedManifest | null => {
    if (run.current?.network === target) return run.current.verified;
    // The devnet's run is signed by its owner key when the devnet starts; until then its built-in form.
    if (target === 'devnet') return builtInDevnetRun();
    return named.current(target);
  };
  // This peer's bucket and key pairs (Settings → Storage); credentials() is what a real run's storage clients use.
  const storage = new StorageCredentialsService({ secretsFile: storageSecretsFile(options.paths), ...(options.keychain ? { keychain: options.keychain } : {}) });
  const bucket = async (): Promise<StorageCredentials | null> => {
    try {
      return await storage.credentials();
    } catch (error) {
      // Locked keys, a keychain that went away: the sentence says where to fix it.
      throw new ContractError('FAILED', (error as Error).message);
    }
  };
  const followStorage = async (joined: NetworkRuntime, logger: Logger) => {
    try {
      const next = await storage.credentials();
      if (!next) return;
      const location = { endpoint: next.endpoint, region: next.region, bucket: next.bucket, forcePathStyle: next.forcePathStyle };
      await joined.useStorage({ write: new S3Storage({ ...location, ...next.write }), read: { ...location, ...next.read } });
    } catch (error) {
      logger.warn({ err: error }, 'the new storage keys could not be published; uploads stay with the old bucket');
    }
  };
  return [
    createWalletModule(wallet),
    createNetworkModule({ run, manifestFor }),
    createSupportModule({ app: { name: info.productName, version: info.version, mode: options.mode } }),
    createStorageModule(storage),
    ops.tap(
      createChainModule({
        wallet,
        dataDir: path.join(options.paths.dataDir, 'chain'),
        // The devnet's node exists once joined; until then the chain view says so. Its own connection, like any network's.
        open: async (target) => (target !== 'devnet' ? openSubtensor(target) : devnetUrl() ? SubtensorChain.open({ name: 'devnet', endpoint: devnetUrl() as string }) : null),
        selfHotkey: (target) => (target === 'devnet' && run.current?.network === 'devnet' ? run.current.hotkey : null),
        // The run's subnet comes from its manifest: a URL names no subnet by itself.
        netuidFor: (target) => {
          try {
            return manifestFor(target)?.manifest.chain.netuid ?? namedNetuid(target) ?? knownNetuid(target);
          } catch {
            return namedNetuid(target) ?? knownNetuid(target);
          }
        },
        onChainChange: (listener) => run.onChange(listener),
      }),
    ),
    createFitModule({
      dataDir: options.paths.dataDir,
      trainerExecutable: () => layout().trainerExecutable,
      corpusDir: () => layout().devnetCorpus,
      device: () => fitDevice(),
      target: async (network, ctx) => {
        if (network === 'devnet') {
          // The devnet shares this computer: the fit is a short trial of a throwaway devnet, with the trainer's settings.
          const resources = layout();
          const { limits } = ctx.config.value;
          return {
            manifest: devnetManifest(),
            storage: null,
            chain: null,
            trial: (trial) =>
              runDevnetTrial({
                ...trial,
                trainerExecutable: resources.trainerExecutable,
                corpusDir: resources.devnetCorpus,
                logger: ctx.logger,
                trainerEnv: ops.trainerEnv(ctx),
                linkCaps: { uploadMbps: limits.uploadMbps, downloadMbps: limits.downloadMbps },
              }),
            ledgerFile: devnetLedgerFiles(options.paths.dataDir).ledgerFile,
            close: async () => {},
          };
        }
        const verified = await named.load(network);
        if (!verified) throw new Error(`No run named for ${network}: name it on the Network page (its subnet, or its manifest) first.`);
        const { manifest } = verified;
        const credentials = await storage.credentials();
        const chain = await openSubtensor(network);
        const location = credentials && { endpoint: credentials.endpoint, region: credentials.region, bucket: credentials.bucket, forcePathStyle: credentials.forcePathStyle };
        return {
          manifest,
          storage: credentials && location ? new S3Storage({ ...location, ...credentials.write }) : null,
          chain: chain ? { port: chain, netuid: manifest.chain.netuid } : null,
          ledgerFile: path.join(options.paths.dataDir, 'runs', runFolderName(network, manifest.chain.netuid), 'rounds.ndjson'),
          close: async () => void (await chain?.close()),
        };
      },
    }),
    ops.tap(createHardwareModule({ app: { name: info.productName, version: info.version }, telemetry, savedStorage: () => storage.probeTarget() })),
    createRoundModule({
      onRuntime: (runtime) => ops.attach(runtime),
      onState: (state) => ops.observeRound(state),
      createRuntime: async (ctx, onState) => {
        const resources = layout();
        const missing = missingResources(resources);
        if (missing.length > 0) throw new ContractError('FAILED', `Cannot join: the trainer is not built on this machine (missing ${missing.join(', ')}). Run npm run build:native.`);
        const network = ctx.config.value.network;
        const { limits } = ctx.config.value;
        if (network !== 'devnet') {
          let verified: VerifiedManifest | null;
          try {
            verified = await named.load(network);
          } catch (error) {
            throw new ContractError('FAILED', (error as Error).message);
          }
          if (!verified) throw new ContractError('FAILED', `No run named for ${network}: name it on the Network page (its subnet, or its manifest), or start Tandem with --netuid <subnet> or --manifest <file or URL>.`);
          const { manifest } = verified;
          const folder = path.join(options.paths.dataDir, 'runs', runFolderName(network, manifest.chain.netuid));
          await checkDiskCap(folder, limits.diskGiB);
          const joined = await joinNetwork({
            target: network,
            manifest,
            runOwner: verified.owner,
            hotkey: wallet.hotkeySigner(),
            bucket: await bucket(),
            folder,
            dataDir: options.paths.dataDir,
            trainerExecutable: resources.trainerExecutable,
            corpusDir: resources.devnetCorpus,
            logger: ctx.logger,
            onState,
            linkCaps: { uploadMbps: limits.uploadMbps, downloadMbps: limits.downloadMbps },
            ...(limits.cpuThreads ? { trainerThreads: limits.cpuThreads } : {}),
            diskCapBytes: limits.diskGiB === null ? null : limits.diskGiB * 1024 ** 3,
            trainerDevice: trainerDevice(ctx.config.value.trainOn, ctx.config.value.guard.selectedGpus),
            trainerEnv: ops.trainerEnv(ctx),
            onTrainerSupervisor: ops.onTrainerSupervisor,
          });
          run.attach({ network, manifest, verified, chain: joined.chain, uid: joined.uid, hotkey: joined.hotkey, traffic: joined.traffic, directory: joined.directory, ledger: joined.ledger, notices: joined.notices });
          // New keys or a new bucket while joined: committed on chain and used from the next upload.
          const stopFollowing = storage.onChange(() => void followStorage(joined, ctx.logger));
          return {
            ...joined,
            close: async () => {
              stopFollowing();
              run.detach();
              await joined.close();
            },
          };
        }
        const root = path.join(options.paths.dataDir, 'devnet');
        await checkDiskCap(root, limits.diskGiB);
        const runtime = await createDevnetRuntime({
          root,
          linkCaps: { uploadMbps: limits.uploadMbps, downloadMbps: limits.downloadMbps },
          ...(limits.cpuThreads ? { trainerThreads: limits.cpuThreads } : {}),
          trainerExecutable: resources.trainerExecutable,
          corpusDir: resources.devnetCorpus,
          logger: ctx.logger,
          onState,
          trainerEnv: ops.trainerEnv(ctx),
          trainerDevice: trainerDevice(ctx.config.value.trainOn, ctx.config.value.guard.selectedGpus),
          onTrainerSupervisor: ops.onTrainerSupervisor,
        });
        devnetEndpoint = runtime.devnet.url;
        run.attach({ network, manifest: runtime.devnet.manifest, verified: runtime.verified, chain: runtime.chain, uid: runtime.uid, hotkey: runtime.selfHotkey, traffic: runtime.traffic, directory: runtime.directory, ledger: runtime.ledger, notices: runtime.notices, ratingOf: runtime.ratingOf });
        return {
          ...runtime,
          close: async () => {
            devnetEndpoint = null;
            run.detach();
            await runtime.close();
          },
        };
      },
    }),
    ...ops.modules,
  ];
}

/** The devnet's run before the devnet starts (and signs it with its owner key). */
function builtInDevnetRun(): VerifiedManifest {
  const manifest = devnetManifest();
  return { manifest, owner: null, digest: manifestDigest(manifest as unknown as Record<string, unknown>), source: 'built in' };
}

/** The training subnet of a network this app knows by name (finney, test, local); null for a bare URL. */
function knownNetuid(target: string): number | null {
  try {
    const resolved = resolveTarget(target);
    return resolved.kind === 'subtensor' ? resolved.netuid : null;
  } catch {
    return null;
  }
}

/** Refuses to Join when the devnet folder already holds more than the disk cap set in Settings. */
async function checkDiskCap(folder: string, capGiB: number | null): Promise<void> {
  if (capGiB === null) return;
  const usedGiB = (await folderSize(folder)) / 2 ** 30;
  if (usedGiB > capGiB) {
    throw new ContractError('FAILED', `Cannot join: the devnet folder ${folder} holds ${usedGiB.toFixed(1)} GiB, over your disk cap of ${capGiB} GiB. Raise the cap in Settings, or delete that folder to start the devnet afresh.`);
  }
}

/** Electron's resources folder, present only when packaged. */
function electronResources(): { resourcesPath?: string } {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  return resourcesPath ? { resourcesPath } : {};
}
