import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigStore } from '../../../core/config/config-store';
import { exitCodeFor } from '../../../services/hardware/checks';
import { realDeps, resolveTarget, runReadiness, withSavedStorage, type ReadinessDeps, type RunTarget, type SavedStorageProbe } from '../../../services/hardware/readiness';
import { renderHtml, renderTable } from '../../../services/hardware/report';
import { headlessAppPaths, type AppPaths } from '../../../platform/app-paths';
import { StorageCredentialsService, storageSecretsFile } from '../../../services/bucket/storage-credentials-service';
import { packageInfo } from '../../../platform/package-info';

export interface DoctorOptions {
  /** Print the versioned JSON report (main/services/hardware/DOCTOR-JSON.md) instead of the table. */
  json?: boolean;
  /** Also write a self-contained printable HTML report to this file. */
  html?: string;
  /** Requirements: a run manifest or requirements JSON file, or 'devnet' / 'covenant-like'. Default: the GPU run requirements. */
  manifest?: string;
  skipNetwork?: boolean;
  /** The environment variable holding the storage passphrase, to measure the bucket saved with `tandem storage set`. */
  storagePassphraseEnv?: string;
}

export interface DoctorIo {
  stdout(text: string): void;
  stderr(text: string): void;
  deps?: ReadinessDeps;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** The chain the app is set to (config `network`), for the latency check. */
  chainNetwork?: string | null;
  now?: () => number;
  writeFile?: (file: string, text: string) => void;
  readFile?: (file: string) => string;
  /** Live progress lines on stderr (only for the table; never with --json). */
  progress?: boolean;
  /** The storage credentials saved with `tandem storage set`, measured when the environment names none. */
  savedStorage?: SavedStorageProbe;
}

/** Runs the readiness checks and prints them; returns the exit code: 0 pass, 1 warnings, 2 a failure (or a bad manifest). */
export async function runDoctor(options: DoctorOptions, io: DoctorIo): Promise<number> {
  let target: RunTarget;
  try {
    target = resolveTarget(options.manifest, { env: io.env ?? process.env, chainNetwork: io.chainNetwork ?? null, readFile: io.readFile });
  } catch (error) {
    io.stderr(`tandem doctor: ${(error as Error).message}\n`);
    return 2;
  }
  if (options.manifest !== 'devnet' && !options.skipNetwork) target = await withSavedStorage(target, io.savedStorage);
  const info = packageInfo();
  const report = await runReadiness(
    {
      target,
      skipNetwork: Boolean(options.skipNetwork),
      dataDir: io.dataDir ?? headlessAppPaths(io.env ?? process.env).dataDir,
      app: { name: info.productName, version: info.version },
      now: io.now,
      onProgress: io.progress && !options.json ? (p) => p.phase === 'step' && io.stderr(`… ${p.step}\n`) : undefined,
    },
    io.deps ?? realDeps,
  );
  if (options.html) {
    const file = path.resolve(options.html);
    try {
      (io.writeFile ?? ((f, t) => fs.writeFileSync(f, t)))(file, renderHtml(report));
      if (!options.json) io.stderr(`HTML report written to ${file}\n`);
    } catch (error) {
      io.stderr(`tandem doctor: cannot write ${file}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
  return exitCodeFor(report.summary.overall);
}

/** `tandem doctor`: can this machine earn in the run? */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine against a run\u2019s requirements (GPU, memory, disk, network); exit 0 pass, 1 warnings, 2 failure')
    .option('--json', 'print the report as versioned JSON (schema tandem.doctor/v1, see main/services/hardware/DOCTOR-JSON.md)')
    .option('--html <file>', 'also write a self-contained printable HTML report')
    .option('--manifest <file|devnet>', "requirements: a run manifest or requirements JSON file, 'devnet' or 'covenant-like' (default: a single-GPU run)")
    .option('--skip-network', 'do not measure bandwidth or latency')
    .option('--storage-passphrase-env <VAR>', 'read the storage passphrase from this environment variable, to measure the bucket saved with `tandem storage set`')
    .action(async (options: DoctorOptions) => {
      const paths = headlessAppPaths();
      let config: ConfigStore | null;
      try {
        config = await ConfigStore.load(paths.configFile);
      } catch {
        config = null;
      }
      process.exitCode = await runDoctor(options, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        chainNetwork: config?.value.network ?? null,
        progress: process.stderr.isTTY,
        ...(config ? { savedStorage: savedStorageProbe(config, paths, options.storagePassphraseEnv) } : {}),
      });
    });
}

/** The bucket saved with `tandem storage set`, unlocked with the passphrase from the named variable when its secrets are sealed. */
function savedStorageProbe(config: ConfigStore, paths: AppPaths, passphraseEnv: string | undefined): SavedStorageProbe {
  return async () => {
    const service = new StorageCredentialsService({ secretsFile: storageSecretsFile(paths), config });
    const passphrase = passphraseEnv ? process.env[passphraseEnv] : undefined;
    if (passphrase && config.value.storage?.secretsIn === 'passphrase-file') {
      try {
        await service.unlock(passphrase);
      } catch (error) {
        return { target: null, note: (error as Error).message };
      }
    }
    const found = await service.probeTarget();
    return found.note && !passphrase ? { ...found, note: `${found.note} (here: pass --storage-passphrase-env <VAR>)` } : found;
  };
}
