import { z } from 'zod';
import { NoParams } from './app';
import { NewPassphrase, Passphrase } from './wallet';

/**
 * The storage domain: this peer's own S3-compatible bucket. Payloads are
 * written with the write key pair, which never leaves this machine; the read
 * key pair is published on chain so other peers can fetch them. Secret access
 * keys travel UI → core only, inside `storage.set`; results and events say
 * whether each secret is set, never what it is.
 */

/** A Cloudflare account id (dashboard → R2 → Account details): 32 hex digits. */
export const R2AccountId = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{32}$/, 'a Cloudflare account id is 32 hexadecimal characters (Cloudflare dashboard → R2 → Account details)')
  .transform((id) => id.toLowerCase());

export const AwsRegion = z
  .string()
  .trim()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as us-east-1 or eu-central-1');

/** The signing region of any S3-compatible server (R2 uses auto, MinIO us-east-1 unless configured). */
export const StorageRegion = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a region is lowercase letters, digits and "-", e.g. us-east-1 or auto');

/** The base URL of an S3 API: http(s), a host, no credentials, query or fragment. */
export const S3Url = z
  .string()
  .trim()
  .max(512)
  .superRefine((text, ctx) => {
    const problem = s3UrlProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((text) => text.replace(/\/+$/, ''));

export function s3UrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected the URL of an S3 API, e.g. https://minio.example.com:9000';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the S3 URL must start with https:// (or http:// for a server on your own network)';
  if (url.username || url.password) return 'put the keys in the key fields, not in the URL';
  if (url.search || url.hash) return 'the S3 URL takes no ?query or #fragment';
  if (url.pathname !== '/' && url.pathname !== '') return 'give the server\u2019s base URL without a path; the bucket has its own field';
  return null;
}

/**
 * Amazon S3's naming rules for general purpose buckets, which R2, MinIO and
 * other S3-compatible servers share (R2 also refuses dots). Null when fine.
 */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'a bucket name is 3 to 63 characters long';
  if (/[A-Z]/.test(name)) return 'a bucket name uses lowercase letters only';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'a bucket name uses only lowercase letters, digits, "." and "-"';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'a bucket name starts and ends with a letter or a digit';
  if (name.includes('..')) return 'a bucket name has no two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name cannot look like an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'a bucket name cannot start with xn--, sthree- or amzn-s3-demo-';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'a bucket name cannot end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3';
  return null;
}

export const BucketName = z
  .string()
  .trim()
  .superRefine((name, ctx) => {
    const problem = bucketNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Printable ASCII without spaces: AWS ids are 16–128 characters, R2's 32, MinIO's at least 3. */
export const AccessKeyId = z
  .string()
  .trim()
  .regex(/^[\x21-\x7e]{3,128}$/, 'an access key id is 3 to 128 characters without spaces');

export const SecretAccessKey = z
  .string()
  .trim()
  .regex(/^[\x21-\x7e]{1,256}$/, 'a secret access key is up to 256 characters without spaces');

/** Where the bucket is: a Cloudflare R2 account, an AWS region, or any S3 URL (MinIO, the devnet's server). */
export const StorageEndpointChoice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('r2'), accountId: R2AccountId }).strict(),
  z.object({ kind: z.literal('aws'), region: AwsRegion }).strict(),
  z.object({ kind: z.literal('s3'), url: S3Url, region: StorageRegion.default('us-east-1') }).strict(),
]);
export type StorageEndpointChoice = z.infer<typeof StorageEndpointChoice>;

/** Where the secrets are kept: the OS keychain (desktop app), or a file encrypted with the storage passphrase. */
export const StorageSecretPlace = z.enum(['os-keychain', 'passphrase-file']);
export type StorageSecretPlace = z.infer<typeof StorageSecretPlace>;

export const StorageKeyStatus = z.object({
  accessKeyId: z.string(),
  /** Whether a secret is stored for this key id. The secret itself is never sent. */
  secretSet: z.boolean(),
});

export const StorageStatus = z.object({
  /** The non-secret part, or null when no storage is set up. */
  location: z
    .object({
      endpoint: z.string(),
      region: z.string(),
      bucket: z.string(),
      forcePathStyle: z.boolean(),
      /** The endpoint as the user gave it, so a form can show the same choice back. */
      choice: StorageEndpointChoice,
    })
    .nullable(),
  write: StorageKeyStatus.nullable(),
  read: StorageKeyStatus.nullable(),
  /** Where the saved secrets are; null when none are saved. */
  secretsIn: StorageSecretPlace.nullable(),
  /** Where a new save puts them on this machine in this mode: it decides whether a storage passphrase is asked for. */
  saveTo: StorageSecretPlace,
  /** The secrets are in the passphrase file and not unlocked yet. */
  locked: z.boolean(),
  /** Why the saved keys cannot be used right now, in words a user can act on; null when they can (or none are set). */
  problem: z.string().nullable(),
});
export type StorageStatus = z.infer<typeof StorageStatus>;

/** A key pair in `storage.set`. A secret left out keeps the one stored for the same key id. */
export const StorageKeyPairInput = z
  .object({
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey.optional(),
  })
  .strict();

export const StorageSetParams = z
  .object({
    endpoint: StorageEndpointChoice,
    bucket: BucketName,
    /** Path-style URLs (endpoint/bucket/key); by default on for R2 and S3 URLs, off for AWS. */
    forcePathStyle: z.boolean().optional(),
    write: StorageKeyPairInput,
    read: StorageKeyPairInput,
    /** The storage passphrase that encrypts the secrets file (headless mode and the CLI). Ignored with the OS keychain. */
    passphrase: NewPassphrase.optional(),
  })
  .strict()
  .superRefine((params, ctx) => {
    if (params.write.accessKeyId === params.read.accessKeyId) {
      ctx.addIssue({ code: 'custom', path: ['read', 'accessKeyId'], message: 'the read key must be a different key from the write key: the read key is published on chain for anyone to use' });
    }
    if (params.endpoint.kind === 'r2' && params.bucket.includes('.')) {
      ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'an R2 bucket name uses only lowercase letters, digits and "-"' });
    }
  });
export type StorageSetParams = z.input<typeof StorageSetParams>;

export const StorageTestStepId = z.enum(['write.put', 'write.get', 'write.list', 'read.get', 'read.list', 'read.cannot-write', 'write.delete', 'speed']);
export type StorageTestStepId = z.infer<typeof StorageTestStepId>;

export const StorageTestStep = z.object({
  id: StorageTestStepId,
  title: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'skip']),
  /** What happened, or what to do about it, in words. */
  detail: z.string(),
  /** How long the step took; null when it did not run. */
  ms: z.number().nonnegative().nullable(),
});
export type StorageTestStep = z.infer<typeof StorageTestStep>;

export const StorageSpeed = z.object({
  latencyMs: z.number().nonnegative(),
  uploadMbps: z.number().nonnegative(),
  downloadMbps: z.number().nonnegative(),
  streams: z.number().int().positive(),
  bytesPerDirection: z.number().int().nonnegative(),
});
export type StorageSpeed = z.infer<typeof StorageSpeed>;

export const StorageTestResult = z.object({
  /** Every step passed or only warned. */
  ok: z.boolean(),
  endpoint: z.string(),
  bucket: z.string(),
  steps: z.array(StorageTestStep),
  speed: StorageSpeed.nullable(),
  /** The read key could write: anyone who reads it from the chain could overwrite or delete this peer's updates. */
  readKeyCanWrite: z.boolean(),
  /** Loud warnings for the top of the result (the read key can write). */
  warnings: z.array(z.string()),
  finishedAt: z.number(),
});
export type StorageTestResult = z.infer<typeof StorageTestResult>;

export const StorageTestProgress = z.object({
  step: z.string(),
  completed: z.number().int().nonnegative(),
  total: z.number().int().positive(),
});
export type StorageTestProgress = z.infer<typeof StorageTestProgress>;

export const storageMethods = {
  /** What is set (key ids, where the secrets are, lock state); never a secret. */
  'storage.get': { params: NoParams, result: StorageStatus },
  'storage.set': { params: StorageSetParams, result: StorageStatus },
  /** Opens the passphrase file for this run of the app. */
  'storage.unlock': { params: z.object({ passphrase: Passphrase }).strict(), result: StorageStatus },
  /** Put, get, list and delete with the write key; get and list with the read key, which must not write; latency and Mb/s. */
  'storage.test': { params: NoParams, result: StorageTestResult },
  /** Forgets the bucket and both key pairs (config section and secrets). */
  'storage.clear': { params: NoParams, result: StorageStatus },
} as const;

export const storageEvents = {
  'storage.status': StorageStatus,
  'storage.testProgress': StorageTestProgress,
  /** Each finished test, also for a UI whose request timed out while the test went on. */
  'storage.testResult': StorageTestResult,
} as const;
