import type { Command } from 'commander';
import { describeIssues, type FieldIssue } from '../../../../contract';
import { StorageSetParams, type StorageStatus, type StorageTestResult } from '../../../../contract/domains/storage';
import { ConfigError, ConfigStore } from '../../../core/config/config-store';
import { headlessAppPaths } from '../../../platform/app-paths';
import type { StorageCheckOptions } from '../../../services/bucket/storage-check';
import { StorageCredentialsError } from '../../../services/bucket/storage-credentials-error';
import { StorageCredentialsService, storageSecretsFile } from '../../../services/bucket/storage-credentials-service';
import { describeLocation } from '../../../services/bucket/storage-location';
import { readNewPassphrase, readSecret, SecretInputError, terminalSecretSource, type SecretSource } from '../secret-input';

export interface StorageCliIo extends SecretSource {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress lines on stderr while testing (a terminal). */
  progress?: boolean;
  /** Test hooks: a small speed probe. */
  check?: StorageCheckOptions;
}

export interface StorageSetOptions {
  r2Account?: string;
  awsRegion?: string;
  endpoint?: string;
  region?: string;
  bucket?: string;
  pathStyle?: boolean;
  writeKeyId?: string;
  readKeyId?: string;
  writeSecretEnv?: string;
  readSecretEnv?: string;
  passphraseEnv?: string;
  keepSecrets?: boolean;
}

/** Which flag a field of storage.set comes from, so an error names what to retype. */
const FLAG_OF: Record<string, string> = {
  'endpoint.accountId': '--r2-account',
  'endpoint.url': '--endpoint',
  bucket: '--bucket',
  'write.accessKeyId': '--write-key-id',
  'read.accessKeyId': '--read-key-id',
  'write.secretAccessKey': 'the write secret',
  'read.secretAccessKey': 'the read secret',
  passphrase: 'the storage passphrase',
};

async function openService(io: StorageCliIo): Promise<StorageCredentialsService> {
  const paths = headlessAppPaths(io.env);
  return new StorageCredentialsService({ secretsFile: storageSecretsFile(paths), config: await ConfigStore.load(paths.configFile), ...(io.check ? { check: io.check } : {}) });
}

/** Runs one subcommand; known failures become one line on stderr and exit code 2. */
async function guarded(io: StorageCliIo, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StorageCredentialsError || error instanceof SecretInputError || error instanceof ConfigError) {
      io.stderr(`tandem storage: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `tandem storage set`: checks every flag before asking for any secret, then saves. */
export function runStorageSet(options: StorageSetOptions, io: StorageCliIo): Promise<number> {
  return guarded(io, async () => {
    const chosen = [options.r2Account, options.awsRegion, options.endpoint].filter((v) => v !== undefined).length;
    if (chosen !== 1) return usage(io, 'choose exactly one of --r2-account <id>, --aws-region <region> or --endpoint <url>');
    if (options.region !== undefined && options.endpoint === undefined) return usage(io, '--region goes with --endpoint (R2 signs with auto, AWS with the --aws-region)');
    const endpoint =
      options.r2Account !== undefined
        ? { kind: 'r2' as const, accountId: options.r2Account }
        : options.awsRegion !== undefined
          ? { kind: 'aws' as const, region: options.awsRegion }
          : { kind: 's3' as const, url: options.endpoint as string, ...(options.region !== undefined ? { region: options.region } : {}) };
    const draft = {
      endpoint,
      bucket: options.bucket ?? '',
      ...(options.pathStyle !== undefined ? { forcePathStyle: options.pathStyle } : {}),
      write: { accessKeyId: options.writeKeyId ?? '' },
      read: { accessKeyId: options.readKeyId ?? '' },
    };
    const flags = StorageSetParams.safeParse(draft);
    if (!flags.success) return usage(io, describeFlagIssues(flags.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), endpoint.kind));

    const service = await openService(io);
    let params = flags.data;
    if (!options.keepSecrets) {
      const write = await readSecret(io, 'write secret access key', options.writeSecretEnv);
      const read = await readSecret(io, 'read secret access key', options.readSecretEnv);
      const passphrase = service.saveTo === 'passphrase-file' ? await readNewPassphrase(io, 'storage', options.passphraseEnv) : undefined;
      const full = StorageSetParams.safeParse({ ...draft, write: { ...draft.write, secretAccessKey: write }, read: { ...draft.read, secretAccessKey: read }, ...(passphrase ? { passphrase } : {}) });
      if (!full.success) return usage(io, describeFlagIssues(full.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), endpoint.kind));
      params = full.data;
    }
    const status = await service.set(params);
    io.stdout(`Saved ${describeLocation(status.location!)}.\n`);
    printStatus(io, status, headlessAppPaths(io.env));
    io.stdout('Check it with `tandem storage test`.\n');
    return 0;
  });
}

/** `tandem storage show`: the non-secret part, and which secrets are set. */
export function runStorageShow(io: StorageCliIo): Promise<number> {
  return guarded(io, async () => {
    const status = await (await openService(io)).status();
    if (!status.location) {
      io.stdout('No storage set up yet. Each peer brings its own S3-compatible bucket (Cloudflare R2, AWS S3, MinIO…):\n');
      io.stdout('  tandem storage set --r2-account <id> --bucket <name> --write-key-id <id> --read-key-id <id>\n');
      return 0;
    }
    printStatus(io, status, headlessAppPaths(io.env));
    return 0;
  });
}

/** `tandem storage test`: the results table; exit 0 all passed, 1 warnings, 2 a failure. */
export function runStorageTest(options: { passphraseEnv?: string; speed?: boolean }, io: StorageCliIo): Promise<number> {
  return guarded(io, async () => {
    const service = await openService(io);
    const status = await service.status();
    if (!status.location) throw new StorageCredentialsError('NOT_SET', 'No storage is set up yet: set it with `tandem storage set` (see --help)');
    if (status.locked) await service.unlock(await readSecret(io, 'storage passphrase', options.passphraseEnv));
    io.stdout(`Testing ${describeLocation(status.location)}…\n`);
    const result = await service.test({ ...(options.speed === false ? { speed: false as const } : {}), ...(io.progress ? { onProgress: (p) => io.stderr(`… ${p.step}\n`) } : {}) });
    io.stdout(renderTestTable(result));
    if (!result.ok) return 2;
    return result.readKeyCanWrite || result.steps.some((s) => s.status === 'warn') ? 1 : 0;
  });
}

/** `tandem storage clear`: forgets the bucket and both key pairs. */
export function runStorageClear(io: StorageCliIo): Promise<number> {
  return guarded(io, async () => {
    const service = await openService(io);
    const before = await service.status();
    await service.clear();
    io.stdout(before.location ? `Removed ${describeLocation(before.location)} and both key pairs (config section and secrets).\n` : 'No storage was set up; nothing to remove.\n');
    return 0;
  });
}

export function renderTestTable(result: StorageTestResult): string {
  const lines = result.warnings.map((w) => `WARNING: ${w}\n`);
  const width = Math.max(...result.steps.map((s) => s.title.length));
  for (const step of result.steps) {
    const ms = step.ms === null ? '' : `${step.ms.toFixed(0)} ms`;
    lines.push(`  ${step.status.padEnd(4)}  ${step.title.padEnd(width)}  ${ms.padStart(8)}  ${step.detail}\n`);
  }
  if (result.speed) lines.push(`Latency ${result.speed.latencyMs.toFixed(1)} ms; upload ${result.speed.uploadMbps.toFixed(1)} Mb/s; download ${result.speed.downloadMbps.toFixed(1)} Mb/s\n`);
  lines.push(result.ok ? (result.readKeyCanWrite ? 'Works, but see the warning above.\n' : 'All good.\n') : 'Some steps failed: see above.\n');
  return lines.join('');
}

function printStatus(io: StorageCliIo, status: StorageStatus, paths: { configDir: string }): void {
  const location = status.location!;
  const choice = location.choice.kind === 'r2' ? `Cloudflare R2, account ${location.choice.accountId}` : location.choice.kind === 'aws' ? `AWS S3, region ${location.choice.region}` : 'S3-compatible server';
  const secret = (key: StorageStatus['write']) => (key?.secretSet ? 'secret set' : 'secret NOT set');
  io.stdout(`  endpoint    ${location.endpoint} (${choice})\n`);
  io.stdout(`  region      ${location.region}\n`);
  io.stdout(`  bucket      ${location.bucket}${location.forcePathStyle ? ' (path-style URLs)' : ''}\n`);
  io.stdout(`  write key   ${status.write?.accessKeyId} (${secret(status.write)}; never leaves this machine)\n`);
  io.stdout(`  read key    ${status.read?.accessKeyId} (${secret(status.read)}; published on chain for other peers)\n`);
  const where = status.secretsIn === 'os-keychain' ? 'the desktop app\u2019s OS keychain' : `${storageSecretsFile(paths)}, sealed with the storage passphrase`;
  io.stdout(`  secrets in  ${where}\n`);
  if (status.problem && !status.locked) io.stdout(`  problem     ${status.problem}\n`);
}

function describeFlagIssues(issues: FieldIssue[], kind: 'r2' | 'aws' | 's3'): string {
  return describeIssues(issues.map((issue) => ({ ...issue, path: issue.path === 'endpoint.region' ? (kind === 'aws' ? '--aws-region' : '--region') : (FLAG_OF[issue.path] ?? issue.path) })));
}

function usage(io: StorageCliIo, message: string): number {
  io.stderr(`tandem storage: ${message}\n`);
  return 2;
}

/** `tandem storage set|show|test|clear`; secrets come from environment variables named by options, or are typed without echo. */
export function registerStorage(program: Command): void {
  const storage = program.command('storage').description('this peer\u2019s own S3-compatible bucket: set, show, test or clear its keys');
  const io = (): StorageCliIo => ({ ...terminalSecretSource(), stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), progress: process.stderr.isTTY });

  storage
    .command('set')
    .description('save the bucket and its two key pairs: a write key that stays here, a read key that is published on chain')
    .option('--r2-account <id>', 'Cloudflare R2 account id (32 hex characters)')
    .option('--aws-region <region>', 'AWS S3 region, e.g. us-east-1')
    .option('--endpoint <url>', 'any S3-compatible server, e.g. https://minio.example.com:9000')
    .option('--region <region>', 'signing region with --endpoint (default us-east-1)')
    .option('--bucket <name>', 'bucket name')
    .option('--path-style', 'use path-style URLs (endpoint/bucket/key)')
    .option('--no-path-style', 'use virtual-hosted URLs (bucket.endpoint/key)')
    .option('--write-key-id <id>', 'access key id of the read-and-write key')
    .option('--read-key-id <id>', 'access key id of the read-only key (it becomes public)')
    .option('--write-secret-env <VAR>', 'read the write secret access key from this environment variable')
    .option('--read-secret-env <VAR>', 'read the read secret access key from this environment variable')
    .option('--passphrase-env <VAR>', 'read the new storage passphrase (it encrypts the secrets file) from this environment variable')
    .option('--keep-secrets', 'keep the saved secrets (same key ids): change only the endpoint or bucket')
    .action(async (options: StorageSetOptions) => {
      process.exitCode = await runStorageSet(options, io());
    });

  storage
    .command('show')
    .description('print the bucket, the key ids and which secrets are set (never a secret)')
    .action(async () => {
      process.exitCode = await runStorageShow(io());
    });

  storage
    .command('test')
    .description('put, get, list and delete a test object with the write key, read with the read key (which must not write), and measure latency and Mb/s; exit 0 pass, 1 warnings, 2 failure')
    .option('--passphrase-env <VAR>', 'read the storage passphrase from this environment variable')
    .option('--no-speed', 'skip the latency and speed measurement')
    .action(async (options: { passphraseEnv?: string; speed?: boolean }) => {
      process.exitCode = await runStorageTest(options, io());
    });

  storage
    .command('clear')
    .description('forget the bucket and both key pairs')
    .action(async () => {
      process.exitCode = await runStorageClear(io());
    });
}
