import crypto from 'node:crypto';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';

/** What a key may do on its one bucket: read (GET, HEAD, list) or write (read, plus PUT, multipart and DELETE). */
export type BucketAccess = 'read' | 'write';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface IssuedKey extends AccessKey {
  bucket: string;
  access: BucketAccess;
}

// S3's naming rules, minus dots: a bucket name is also a folder name and a URL path segment.
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

const bucketName = z.string().regex(BUCKET_NAME, 'a bucket name: 3 to 63 lowercase letters, digits and hyphens');
const keyFileSchema = z.object({
  version: z.literal(1),
  buckets: z.array(bucketName),
  keys: z.array(
    z.object({
      accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/),
      secretAccessKey: z.string().min(32),
      bucket: bucketName,
      access: z.enum(['read', 'write']),
    }),
  ),
});
type KeyFile = z.infer<typeof keyFileSchema>;

/**
 * The devnet server's buckets and access keys, kept in one JSON file (0600,
 * written atomically). Changes are written before they take effect, so a key
 * handed out is already on disk and works after a restart; changes are
 * applied one at a time, so two at once never lose each other.
 */
export class AccessKeyBook {
  private byId: Map<string, IssuedKey>;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private state: KeyFile,
  ) {
    this.byId = indexKeys(state);
  }

  /** Reads `file`, or starts empty when there is none. A file that does not parse is an error, and is left as it is. */
  static async open(file: string): Promise<AccessKeyBook> {
    const text = await readFileIfExists(file);
    if (text === undefined) return new AccessKeyBook(file, { version: 1, buckets: [], keys: [] });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`the devnet S3 key file ${file} is not JSON (${(error as Error).message}); fix or remove it`, { cause: error });
    }
    const parsed = keyFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`the devnet S3 key file ${file} is not valid at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'unknown'}; fix or remove it`);
    }
    return new AccessKeyBook(file, parsed.data);
  }

  buckets(): string[] {
    return [...this.state.buckets];
  }

  hasBucket(name: string): boolean {
    return this.state.buckets.includes(name);
  }

  /** The key with this id, or undefined (never issued, or revoked). */
  find(accessKeyId: string): IssuedKey | undefined {
    return this.byId.get(accessKeyId);
  }

  keys(bucket?: string): IssuedKey[] {
    return [...this.byId.values()].filter((key) => bucket === undefined || key.bucket === bucket).map((key) => ({ ...key }));
  }

  async addBucket(name: string): Promise<void> {
    if (!isValidBucketName(name)) throw new Error(`invalid bucket name ${JSON.stringify(name)}: use 3 to 63 lowercase letters, digits and hyphens`);
    await this.change((state) => (state.buckets.includes(name) ? null : { ...state, buckets: [...state.buckets, name] }));
  }

  async issue(bucket: string, access: BucketAccess): Promise<AccessKey> {
    const key: IssuedKey = {
      // The shapes AWS uses: 20 upper-case characters, 40 characters of secret.
      accessKeyId: 'TDK' + crypto.randomBytes(9).toString('hex').toUpperCase().slice(0, 17),
      secretAccessKey: crypto.randomBytes(30).toString('base64url'),
      bucket,
      access,
    };
    await this.change((state) => {
      if (!state.buckets.includes(bucket)) throw new Error(`no bucket ${JSON.stringify(bucket)} on this server: create it first`);
      return { ...state, keys: [...state.keys, key] };
    });
    return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  }

  /** True when the key existed; from now on requests signed with it are refused as an unknown key. */
  async revoke(accessKeyId: string): Promise<boolean> {
    let found = false;
    await this.change((state) => {
      found = state.keys.some((key) => key.accessKeyId === accessKeyId);
      return found ? { ...state, keys: state.keys.filter((key) => key.accessKeyId !== accessKeyId) } : null;
    });
    return found;
  }

  /** Waits for changes in progress (before closing). */
  async settled(): Promise<void> {
    await this.queue.catch(() => {});
  }

  /** Applies `next` to the latest state: written first, then in effect. `null` means no change. */
  private change(next: (state: KeyFile) => KeyFile | null): Promise<void> {
    const run = this.queue.then(async () => {
      const updated = next(this.state);
      if (updated === null) return;
      await writeFileAtomically(this.file, JSON.stringify(updated, null, 2) + '\n', { mode: 0o600 });
      this.state = updated;
      this.byId = indexKeys(updated);
    });
    this.queue = run.catch(() => {});
    return run;
  }
}

function indexKeys(state: KeyFile): Map<string, IssuedKey> {
  return new Map(state.keys.map((key) => [key.accessKeyId, { ...key }]));
}
