import { gradientKey } from '../../ports/object-keys';
import type { RunManifest } from '../../ports/run-manifest';
import type { StorageCallOptions, StoragePort } from '../../ports/storage-port';
import type { ApplyOuterRequest, ApplyOuterResult } from '../../ports/trainer-port';
import { parseSyncReportKey, syncReportKey } from '../../services/round/sync-report';
import { PassThroughStorage } from './pass-through-storage';
import { PassThroughTrainer } from './pass-through-trainer';
import { pollThroughWindow } from './window-wait';

/** Applies one aggregate (to have a digest to report), then never again: its model goes stale. */
export class DesyncedTrainer extends PassThroughTrainer {
  private frozen: ApplyOuterResult | null = null;

  override async applyOuter(request: ApplyOuterRequest): Promise<ApplyOuterResult> {
    if (!this.frozen) this.frozen = await this.inner.applyOuter(request);
    return { ...this.frozen, computeSeconds: 0 };
  }
}

/**
 * A stale peer's storage that lies about its model: each sync report it
 * writes is a copy of an in-sync peer's report of the same window (every
 * peer in sync reports the same model digest), so the report says it is in
 * sync when its model is not. Its update is its own.
 */
export class LyingSyncStorage extends PassThroughStorage {
  constructor(
    inner: StoragePort,
    private readonly copy: { manifest: RunManifest; victimUid: number; peerStorage(uid: number): StoragePort | undefined },
  ) {
    super(inner);
  }

  override async put(key: string, data: Uint8Array, options?: StorageCallOptions): Promise<void> {
    const report = parseSyncReportKey(key);
    if (!report) return this.inner.put(key, data, options);
    return this.inner.put(key, (await this.victimReport(report.window)) ?? data, options);
  }

  /** The victim's report of the window, once it has written it (until its update is up, which follows its report). */
  private async victimReport(window: number): Promise<Uint8Array | null> {
    const { manifest, victimUid } = this.copy;
    const storage = this.copy.peerStorage(victimUid);
    if (!storage) return null;
    const found = await pollThroughWindow(manifest, async () => {
      const report = await storage.get(syncReportKey(window, victimUid, manifest.protocolVersion), { maxBytes: 4096 }).catch(() => null);
      if (report) return report;
      // Its update is up and no report came before it: there is none to copy.
      return (await storage.head(gradientKey(window, victimUid, manifest.protocolVersion)).catch(() => null)) ? null : undefined;
    });
    return found ?? null;
  }
}
