import { parseGradientKey } from '../../ports/object-keys';
import type { RunManifest } from '../../ports/run-manifest';
import type { StorageCallOptions, StoragePort } from '../../ports/storage-port';
import { PassThroughStorage } from './pass-through-storage';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Holds each update back until just after the window's upload deadline. */
export class LateStorage extends PassThroughStorage {
  constructor(
    inner: StoragePort,
    private readonly context: { manifest: RunManifest; currentBlock(): number; now?: () => number },
  ) {
    super(inner);
  }

  override async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    const parts = parseGradientKey(key);
    if (parts) {
      const timing = this.context.manifest.windows;
      const blockMs = timing.blockSeconds * 1000;
      const now = this.context.now ?? Date.now;
      const windowEnd = now() + ((parts.window + 1) * timing.blocksPerWindow - this.context.currentBlock()) * blockMs;
      const deadline = windowEnd + (timing.uploadDeadlineSeconds + timing.uploadGraceSeconds) * 1000;
      // One block past the deadline, whatever the caller's own timeout says.
      await sleep(Math.max(0, deadline + blockMs - now()));
      return this.inner.put(key, data);
    }
    return this.inner.put(key, data, options);
  }
}
