/**
 * Object storage as the round engine sees it: one bucket (or folder) of
 * immutable objects addressed by key. The devnet uses a folder; real runs use
 * S3-compatible buckets (Cloudflare R2 in production).
 */
export interface StoragePort {
  /** For logs and the UI, e.g. `fs:/data/devnet/peer-3` or `s3:bucket@host`. */
  readonly name: string;
  put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string, options?: StorageGetOptions): Promise<Uint8Array | null>;
  head(key: string, options?: StorageCallOptions): Promise<StorageObject | null>;
  list(prefix: string, options?: StorageCallOptions): Promise<StorageObject[]>;
  delete(keys: readonly string[], options?: StorageCallOptions): Promise<void>;
}

export interface StorageCallOptions {
  signal?: AbortSignal;
}

export interface StorageGetOptions extends StorageCallOptions {
  /** Refuse objects larger than this before reading them: a peer cannot make us download gigabytes. */
  maxBytes?: number;
  /**
   * Told the object's size and date from the same response as its bytes, when
   * the store gives them there (S3's GetObject does): a reader that needs the
   * date (is the update on time?) then makes one request, not a GET and a HEAD.
   */
  onStored?(object: StorageObject): void;
}

export interface StorageObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Errors a caller can act on; anything else is a bug or a transport failure. */
export class StorageError extends Error {
  constructor(
    readonly code: 'INVALID_KEY' | 'TOO_LARGE' | 'UNAVAILABLE' | 'ABORTED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Keys are plain relative paths: no `..`, no leading slash or dot, no odd characters, bounded length. */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= 512 && KEY_PATTERN.test(key);
}

export function assertValidKey(key: string): void {
  if (!isValidKey(key)) {
    throw new StorageError('INVALID_KEY', `invalid storage key ${JSON.stringify(key.slice(0, 80))}`);
  }
}

export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
