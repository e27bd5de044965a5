import type { StorageCallOptions, StoragePort } from '../../ports/storage-port';

/** An honest peer's storage passed through: each adversary overrides only what it cheats on (its puts). */
export class PassThroughStorage implements StoragePort {
  readonly name: string;

  constructor(protected readonly inner: StoragePort) {
    this.name = inner.name;
  }

  put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    return this.inner.put(key, data, options);
  }

  get: StoragePort['get'] = (key, options) => this.inner.get(key, options);
  head: StoragePort['head'] = (key, options) => this.inner.head(key, options);
  list: StoragePort['list'] = (prefix, options) => this.inner.list(prefix, options);
  delete: StoragePort['delete'] = (keys, options) => this.inner.delete(keys, options);
}
