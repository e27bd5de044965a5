import type { Logger } from '../../core/logging/logger';
import { expiredWindowKeys, gradientKey } from '../../ports/object-keys';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import type { RoundLedger } from '../earnings/round-ledger';
import { errorText } from './error-text';
import { inclusionVerdict, type InclusionVerdict } from './inclusion';
import type { RoundStatus } from './round-status';
import { encodeSyncReport, syncReportKey, type SyncReport } from './sync-report';

/** This peer's update of a window, as the trainer wrote it, with the report of the model it trained from. */
export interface OwnPayload {
  file: string;
  payload: Uint8Array;
  syncReport: SyncReport;
}

export interface OwnUpdatesOptions {
  manifest: RunManifest;
  self: { uid: number };
  /** Where this peer uploads. */
  storage: StoragePort;
  /** This peer's bucket as the others read it (RoundEngineOptions.ownReadBack). */
  readBack: StoragePort | undefined;
  /** Whether this peer's storage commitment was on chain before the window began (RoundEngineOptions.committedBefore). */
  committedBefore?(uid: number, window: number): boolean;
  /** Upload attempts before the deadline (with backoff between them). */
  uploadAttempts?: number;
  ledger: RoundLedger;
  status: RoundStatus;
  log: Logger;
  now: () => number;
}

/**
 * This peer's own objects in its bucket: the upload of each window's update
 * and sync report, whether that update counts by the inclusion rule as the
 * others see it, whether one is stored (a replay counts it), and the sweep of
 * old ones. The bucket can be swapped while the run goes on (Settings →
 * Storage), so everything here reads it afresh.
 */
export class OwnUpdates {
  private bucket: { storage: StoragePort; readBack: StoragePort | undefined };
  /** The last window whose own old objects were swept (retention). */
  private sweptAt: number | null = null;

  constructor(private readonly options: OwnUpdatesOptions) {
    this.bucket = { storage: options.storage, readBack: options.readBack };
  }

  /** Uploads go to `storage` from the next upload on; `readBack` is how the others read it. */
  use(storage: StoragePort, readBack?: StoragePort): void {
    this.bucket = { storage, readBack };
  }

  /** Where this peer's own stored update is read when a window is gathered again: as the others read it. */
  get asOthersReadIt(): StoragePort {
    return this.bucket.readBack ?? this.bucket.storage;
  }

  /**
   * Uploads the sync report and the update, and answers whether the update
   * counts in this peer's aggregate: only when it counts for the others too.
   * The outcome goes to the ledger; only a broken ledger makes this throw.
   */
  async upload(window: number, uploadDeadline: number, own: OwnPayload): Promise<boolean> {
    const { manifest, self, ledger, status, log, now } = this.options;
    const uploading = status.startPhase('uploading', uploadDeadline);
    let counts = false;
    try {
      await this.bucket.storage.put(syncReportKey(window, self.uid, manifest.protocolVersion), encodeSyncReport(own.syncReport));
    } catch (error) {
      log.warn({ window, err: error }, 'sync report not uploaded');
    }
    try {
      const key = gradientKey(window, self.uid, manifest.protocolVersion);
      await this.putBeforeDeadline(key, own.payload, uploadDeadline);
      // The inclusion rule holds for this peer's own update too: stored after the deadline, no other
      // peer counts it, so counting it here would put this peer off the global model.
      const inclusion = await this.inclusion(key, uploadDeadline, window);
      if (inclusion.counts) {
        counts = true;
        await ledger.append({ window, at: now(), phase: 'uploaded', phaseSeconds: { uploading: status.endPhase(uploading) }, bytesUp: own.payload.byteLength });
        return counts;
      }
      status.endPhase(uploading);
      const why = inclusion.outcome === 'late' ? `upload too late to count: ${inclusion.reason}` : `own update left out: ${inclusion.reason}`;
      await ledger.append({ window, at: now(), phase: 'missed', reason: why, bytesUp: own.payload.byteLength });
      log.warn({ window, reason: inclusion.reason }, 'own update does not count; it is left out of the aggregate as the others leave it out');
    } catch (error) {
      status.endPhase(uploading);
      await ledger.append({ window, at: now(), phase: 'missed', reason: `upload failed: ${errorText(error)}` });
      log.warn({ window, err: error }, 'upload failed; this window earns nothing, training goes on');
    }
    return counts;
  }

  /** Whether this peer's own update of `window` is in its bucket (no upload is in flight during a catch-up). */
  async isStored(window: number): Promise<boolean> {
    const { self, manifest, log } = this.options;
    try {
      return (await this.bucket.storage.head(gradientKey(window, self.uid, manifest.protocolVersion))) !== null;
    } catch (error) {
      log.warn({ window, err: error }, 'could not tell whether the own update is stored; replaying without it');
      return false;
    }
  }

  /**
   * Retention: this peer's own updates and sync reports older than the
   * manifest's retention windows are deleted from its bucket, about once per
   * tenth of that span. Best effort: a failure is logged and tried again later.
   */
  async sweep(window: number): Promise<void> {
    const { self, manifest, log } = this.options;
    const keep = manifest.retentionWindows;
    if (this.sweptAt !== null && window - this.sweptAt < Math.max(1, Math.floor(keep / 10))) return;
    this.sweptAt = window;
    try {
      const { storage } = this.bucket;
      const own = (await storage.list('')).map((o) => o.key);
      const expired = expiredWindowKeys(own, self.uid, manifest.protocolVersion, window, keep);
      if (expired.length > 0) {
        await storage.delete(expired);
        log.info({ window, deleted: expired.length }, 'deleted own objects past the retention window');
      }
    } catch (error) {
      log.warn({ window, err: error }, 'could not delete old objects; trying again later');
    }
  }

  /**
   * Uploads with retries and backoff until the deadline: a bucket that blinks
   * mid-upload costs an attempt, not the window. S3 makes an object visible
   * only once whole (a multipart upload on completion), so no attempt ever
   * leaves a partial payload for the others to read.
   */
  private async putBeforeDeadline(key: string, payload: Uint8Array, deadline: number): Promise<void> {
    const { log, now } = this.options;
    const attempts = this.options.uploadAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bucket.storage.put(key, payload, { signal: AbortSignal.timeout(Math.max(1000, deadline - now())) });
        return;
      } catch (error) {
        const backoffMs = Math.min(8000, 500 * 2 ** (attempt - 1));
        if (attempt >= attempts || now() + backoffMs >= deadline) throw error;
        log.warn({ key, attempt, err: error }, 'upload failed; trying again before the deadline');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  /** The inclusion rule applied to this peer's own stored update. */
  private async inclusion(key: string, uploadDeadline: number, window: number): Promise<InclusionVerdict> {
    const { committedBefore, self, log } = this.options;
    if (committedBefore && !committedBefore(self.uid, window)) {
      return { counts: false, outcome: 'failed', reason: 'this peer\u2019s storage commitment went on chain during the window, after the others read the commitments; it counts from the next window' };
    }
    const { storage, readBack } = this.bucket;
    if (readBack) {
      try {
        return inclusionVerdict(await readBack.head(key), uploadDeadline);
      } catch (error) {
        return { counts: false, outcome: 'failed', reason: `the others cannot read it through the published read key (${errorText(error)})` };
      }
    }
    try {
      return inclusionVerdict(await storage.head(key), uploadDeadline);
    } catch (error) {
      // The put succeeded; a storage that cannot say when is taken at its word, as the gatherers' reads decide.
      log.warn({ key, err: error }, 'could not read the upload time of the own update');
      return { counts: true };
    }
  }
}
