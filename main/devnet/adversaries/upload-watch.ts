import { parseGradientKey } from '../../ports/object-keys';
import type { StorageCallOptions } from '../../ports/storage-port';
import { PassThroughStorage } from './pass-through-storage';

/** Tells each window whose update went up (after any cheat below it held it back): a separate adversary process's progress. */
export class UploadWatch extends PassThroughStorage {
  constructor(
    inner: ConstructorParameters<typeof PassThroughStorage>[0],
    private readonly onUploaded: (window: number) => void,
  ) {
    super(inner);
  }

  override async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    await this.inner.put(key, data, options);
    const gradient = parseGradientKey(key);
    if (gradient) this.onUploaded(gradient.window);
  }
}
