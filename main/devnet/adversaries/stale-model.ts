import { gradientKey } from '../../ports/object-keys';
import type { RunManifest } from '../../ports/run-manifest';
import type { StorageCallOptions, StoragePort } from '../../ports/storage-port';
import type { ApplyOuterRequest, ApplyOuterResult } from '../../ports/trainer-port';
import { parseSyncReportKey, syncReportKey } from '../../services/round/sync-report';
import { PassThroughTrainer } from './pass-through-trainer';

/** Applies one aggregate (to have a digest to report), then never again: its model goes stale. */
export class DesyncedTrainer extends PassThroughTrainer {
  private frozen: ApplyOuterResult | null = null;

  override async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    if (!this.frozen) this.frozen = await this.inner.applyOuter(request);
    return { ...this.frozen, computeSeconds: 0 };
  }
}

const POLL_MS = 250;

/**
 * A stale peer's storage that lies about its model: each sync report it
 * writes is a copy of an in-sync peer's report of the same window (every
 * peer in sync reports the same model digest), so the report says it is in
 * sync when its model is not. Its update is its own.
 */
export class LyingSyncStorage implements StoragePort {
  readonly name: string;

  constructor(
    private readonly inner: StoragePort,
    private readonly copy: { manifest: RunManifest; victimUid: number; peerStorage(uid: number): StoragePort | undefined },
  ) {
    this.name = inner.name;
  }

  async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    const report = parseSyncReportKey(key);
    if (!report) return this.inner.put(key, data, options);
    return this.inner.put(key, (await this.victimReport(report.window)) ?? data, options);
  }

  /** The victim's report of the window, once it has written it (until its update is up, which follows its report). */
  private async victimReport(window: number): Promise<Uint8Array | null> {
    const { manifest, victimUid } = this.copy;
    const storage = this.copy.peerStorage(victimUid);
    if (!storage) return null;
    const timing = manifest.windows;
    const giveUp = Date.now() + (timing.blocksPerWindow * timing.blockSeconds + timing.uploadDeadlineSeconds) * 1000;
    while (Date.now() < giveUp) {
      const report = await storage.get(syncReportKey(window, victimUid, manifest.protocolVersion), { maxBytes: 4096 }).catch(() => null);
      if (report) return report;
      if (await storage.head(gradientKey(window, victimUid, manifest.protocolVersion)).catch(() => null)) return null;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return null;
  }

  get: StoragePort['get'] = (key, options) => this.inner.get(key, options);
  head: StoragePort['head'] = (key, options) => this.inner.head(key, options);
  list: StoragePort['list'] = (prefix, options) => this.inner.list(prefix, options);
  delete: StoragePort['delete'] = (keys, options) => this.inner.delete(keys, options);
}
