import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import type { StorageStatus } from '../../../../contract/domains/storage';
import { bootstrap, type Runtime } from '../../../app/bootstrap';
import { isManifestUrl, loadManifest } from '../../../services/run/load-manifest';
import { checkNetwork } from '../../../adapters/subtensor/check-network';
import { removeInstanceFile, writeInstanceFile } from '../../headless/instance-file';
import { startHeadlessServer } from '../../headless/server';
import { findElectronRuntime } from '../electron-runtime';
import { headlessAppPaths } from '../../../platform/app-paths';
import { packageInfo } from '../../../platform/package-info';
import { STORAGE_PASSPHRASE_ENV } from '../../../services/bucket/storage-module';
import { parseNetuid, parsePort } from '../parse';

interface StartOptions {
  headless?: boolean;
  network?: string;
  manifest?: string;
  netuid?: number;
  runOwner?: string;
  join?: boolean;
  hotkeyPassphraseEnv?: string;
  host?: string;
  port?: number;
  simulateGpu?: boolean;
  storagePassphraseEnv?: string;
}

/** Runs the desktop app when Electron can run here; otherwise (or on request) headless mode. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start Tandem: the desktop window when Electron is available, else headless mode with a browser UI')
    .option('--headless', 'serve the UI to a browser instead of opening a window')
    .option('--network <name|url>', 'devnet (default), local, test, finney, or a ws:// URL of a subtensor endpoint')
    .option('--manifest <file|url>', 'the run to join on that network: its manifest, a file or an http(s) or s3:// URL (kept for later starts)')
    .option('--netuid <n>', 'the run to join on that network, by its subnet: its manifest is found through the run owner\u2019s commitment on chain (kept for later starts)', parseNetuid)
    .option('--run-owner <hotkey>', 'the run owner\u2019s hotkey (SS58): the manifest must carry its signature (default for --netuid: the subnet\u2019s owner; kept for later starts)')
    .option('--join', 'headless: join the run as soon as the app is up (a server with no one at the browser)')
    .option('--hotkey-passphrase-env <VAR>', 'headless: unlock the active wallet\u2019s hotkey at start with the passphrase in this environment variable')
    .option('--host <address>', 'address the headless UI binds to (default 127.0.0.1; anything else exposes it to your network)')
    .option('--port <port>', 'port of the headless UI (0 picks a free one)', parsePort)
    .option('--simulate-gpu', 'devnet demo of the thermal guard: a simulated GPU that starts over its temperature target')
    .option('--storage-passphrase-env <VAR>', 'unlock the storage keys at start with the passphrase in this environment variable')
    .action(async (options: StartOptions) => {
      // Read by the core's modules in this process and inherited by the Electron child.
      if (options.simulateGpu) process.env['TANDEM_SIMULATE_GPU'] = 'hot';
      if (options.storagePassphraseEnv !== undefined) {
        if (!process.env[options.storagePassphraseEnv]) {
          console.error(`--storage-passphrase-env: environment variable ${options.storagePassphraseEnv} is empty or not set`);
          process.exit(2);
        }
        // Only the variable's name travels; the storage module reads the passphrase from it at start.
        process.env[STORAGE_PASSPHRASE_ENV] = options.storagePassphraseEnv;
      }
      // A remote network is checked first, so a typo or a dead endpoint is said in one line at once. A name
      // that is no network stops here; an endpoint that does not answer may come back: the app starts anyway,
      // shows the error and keeps trying (a node restarting, a laptop still joining its Wi-Fi).
      if (options.manifest && !isManifestUrl(options.manifest)) options.manifest = path.resolve(options.manifest);
      if (options.network && options.network !== 'devnet') {
        const network = options.network;
        const findRun = () => loadManifest(options.manifest ?? null, { network, owner: options.runOwner ?? null, netuid: options.netuid ?? null });
        let netuid = options.netuid;
        // A manifest file or URL is checked before anything starts: a bad signature or another network's run is said at once, in one line.
        if (options.manifest && !/^s3:/i.test(options.manifest)) netuid = (await findRun().catch(exitWithMessage)).manifest.chain.netuid;
        const check = await checkNetwork(network, netuid);
        if (!check.ok && check.kind === 'invalid') {
          console.error(`Network ${network}: ${check.reason}`);
          process.exit(2);
        }
        if (!check.ok) console.error(`Network ${network}: ${check.reason}. Starting anyway: the app shows this and keeps trying.`);
        // A run found through the chain is checked once the chain answers.
        else if (options.manifest === undefined ? netuid !== undefined : /^s3:/i.test(options.manifest)) await findRun().catch(exitWithMessage);
      }
      if (!options.headless) {
        const runtime = findElectronRuntime({ fromDir: packageInfo().root });
        if (runtime.available) {
          await runElectron(runtime.executable, options);
          return;
        }
        console.log(`Electron runtime not available (${runtime.reason}); starting in headless mode.`);
      }
      await runHeadless(options);
    });
}

function exitWithMessage(error: Error): never {
  console.error(error.message);
  process.exit(2);
}

async function runElectron(executable: string, options: StartOptions): Promise<void> {
  const main = path.join(packageInfo().root, 'dist', 'electron', 'main.mjs');
  const env = { ...process.env, ...(options.network ? { TANDEM_NETWORK: options.network } : {}), ...(options.manifest ? { TANDEM_MANIFEST: options.manifest } : {}), ...(options.netuid !== undefined ? { TANDEM_NETUID: String(options.netuid) } : {}), ...(options.runOwner ? { TANDEM_RUN_OWNER: options.runOwner } : {}) };
  const child = spawn(executable, [main], { stdio: 'inherit', env });
  await new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      process.exitCode = code ?? 1;
      resolve();
    });
  });
}

async function runHeadless(options: StartOptions): Promise<void> {
  const runtime = await bootstrap('headless', headlessAppPaths(), { ...(options.network === undefined ? {} : { network: options.network }), ...(options.manifest === undefined ? {} : { manifest: options.manifest }), ...(options.netuid === undefined ? {} : { netuid: options.netuid }), ...(options.runOwner === undefined ? {} : { runOwner: options.runOwner }) });
  if (options.hotkeyPassphraseEnv) await unlockAtStart(runtime.core, options.hotkeyPassphraseEnv);
  const configured = runtime.config.value.headless;
  const staticDir = path.join(packageInfo().root, 'dist', 'renderer');
  const server = await startHeadlessServer({
    core: runtime.core,
    staticDir,
    host: options.host ?? configured.host,
    port: options.port ?? configured.port,
    logger: runtime.logger,
  }).catch(async (error: NodeJS.ErrnoException) => {
    // The default port may be taken by another program; a free one is better than no UI.
    if (error.code === 'EADDRINUSE' && options.port === undefined) {
      console.log(`Port ${configured.port} is in use; picking a free one.`);
      return startHeadlessServer({ core: runtime.core, staticDir, host: options.host ?? configured.host, port: 0, logger: runtime.logger });
    }
    throw error;
  });
  // Handlers go in before the URL is printed: whoever reads the URL (a person,
  // a supervisor, a test) may stop us at once, and that must be a clean stop.
  const dataDir = runtime.paths.dataDir;
  await writeInstanceFile(dataDir, { pid: process.pid, base: `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`, token: server.token, startedAt: Date.now() });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await removeInstanceFile(dataDir, process.pid);
    await server.close();
    await runtime.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (options.storagePassphraseEnv !== undefined) console.log(await storageLockLine(runtime, options.storagePassphraseEnv));
  console.log(`Tandem is running headless. Open ${server.url}`);
  console.log(`Logs: ${runtime.paths.logDir}  Config: ${runtime.paths.configFile}  (Ctrl+C to stop)`);
  if (options.join) await joinAtStart(runtime.core);
}

async function call(core: Runtime['core'], method: string, params: unknown): Promise<unknown> {
  const response = await core.dispatch({ kind: 'request', id: method, method, params });
  if (!response.ok) throw new Error(response.error.message);
  return response.result;
}

/**
 * For a machine nobody sits at: the hotkey unlocked from an environment
 * variable (so the passphrase is on no command line), before the app says it
 * is up, so that whoever reads its address can join at once. A failure is one
 * line; the app keeps running so the UI can show and fix it.
 */
async function unlockAtStart(core: Runtime['core'], variable: string): Promise<void> {
  const passphrase = process.env[variable];
  try {
    if (!passphrase) throw new Error(`the environment variable ${variable} is not set`);
    const status = (await call(core, 'wallet.status', {})) as { active: string | null; wallets: Array<{ name: string; hotkeys: Array<{ name: string }> }> };
    const wallet = status.wallets.find((w) => w.name === status.active);
    if (!wallet) throw new Error('no wallet yet: create or import one first (tandem wallet create|import)');
    await call(core, 'wallet.unlock', { name: wallet.name, hotkey: wallet.hotkeys[0]?.name ?? 'default', passphrase });
    console.log(`Hotkey of wallet ${wallet.name} unlocked.`);
  } catch (error) {
    console.error(`Could not unlock the hotkey: ${(error as Error).message}`);
  }
}

/** `--join`: joins the run as the Join button does; a failure is one line and the UI shows it. */
async function joinAtStart(core: Runtime['core']): Promise<void> {
  try {
    await call(core, 'round.join', {});
    console.log('Joined the run.');
  } catch (error) {
    console.error(`Could not join: ${(error as Error).message}`);
  }
}

/** One line on whether --storage-passphrase-env opened the storage keys. */
async function storageLockLine(runtime: { core: { dispatch(raw: unknown): Promise<{ ok: boolean; result?: unknown }> } }, variable: string): Promise<string> {
  const response = await runtime.core.dispatch({ kind: 'request', id: 'start-storage', method: 'storage.get', params: {} });
  const status = response.ok ? (response.result as StorageStatus) : null;
  if (!status?.location) return 'Storage: none set up yet (Settings → Storage), so there was nothing to unlock.';
  if (status.locked) return `Storage keys stay locked: the passphrase in ${variable} did not open them (wrong passphrase?). Unlock them in Settings → Storage.`;
  return status.problem ? `Storage: ${status.problem}.` : `Storage keys unlocked (bucket ${status.location.bucket}).`;
}
