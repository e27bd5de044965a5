/**
 * Why a shard did not arrive. `size` and `sha256` mean the bytes that came
 * are not the shard the manifest names (retrying the same source is unlikely
 * to help); `network` and `disk-full` keep the `.part` for resuming.
 */
export type ShardDownloadFailure = 'bad-url' | 'no-s3-client' | 'not-found' | 'http' | 'redirects' | 'network' | 'size' | 'sha256' | 'disk-full';

export class ShardDownloadError extends Error {
  constructor(
    readonly url: string,
    readonly reason: ShardDownloadFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ShardDownloadError';
  }

  /** The download finished but its bytes are not the listed shard. */
  get failedVerification(): boolean {
    return this.reason === 'size' || this.reason === 'sha256';
  }
}
