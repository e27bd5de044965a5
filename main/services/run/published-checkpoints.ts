import fs from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../hardware/values';
import type { Logger } from '../../core/logging/logger';
import type { CheckpointSource, RestoredCheckpoint } from '../round/checkpoint-source';
import type { StoragePort } from '../../ports/storage-port';
import type { RunManifest } from '../../ports/run-manifest';
import { downloadCheckpoint, newestCheckpoint, readAggregateRecord } from './run-checkpoints';

export interface PublishedCheckpointsOptions {
  manifest: RunManifest;
  /** The publisher's bucket as this peer reads it (from its storage commitment), or undefined while it has none. */
  publisherStorage(): StoragePort | undefined;
  /** Loads a verified checkpoint file into this peer's trainer; answers the window its weights hold. */
  restore(file: string): Promise<number | null>;
  /** Where a checkpoint is downloaded before it is verified and handed to the trainer. */
  folder: string;
  logger: Logger;
}

/**
 * The run's checkpoints as its publisher (manifest `checkpoints.publisher`)
 * puts them in its bucket: the newest record is read, the file downloaded and
 * checked against the record's size and sha256, then loaded by the trainer.
 */
export class PublishedCheckpoints implements CheckpointSource {
  readonly everyWindows: number;

  constructor(private readonly options: PublishedCheckpointsOptions) {
    this.everyWindows = options.manifest.checkpoints.everyWindows;
  }

  async aggregatedIn(window: number): Promise<readonly number[] | null> {
    const storage = this.options.publisherStorage();
    if (!storage) return null;
    return (await readAggregateRecord(storage, window, this.options.manifest.protocolVersion).catch(() => null))?.uids ?? null;
  }

  async recordedDigest(window: number): Promise<string | null | undefined> {
    const storage = this.options.publisherStorage();
    if (!storage) return undefined;
    const record = await readAggregateRecord(storage, window, this.options.manifest.protocolVersion).catch(() => null);
    return record ? record.modelDigest : undefined;
  }

  async restoreNewer(than: number | null, onProgress?: (note: string) => void): Promise<RestoredCheckpoint | null> {
    const { manifest, logger } = this.options;
    const storage = this.options.publisherStorage();
    if (!storage) {
      logger.info({ publisher: manifest.checkpoints.publisher }, 'the run\u2019s checkpoint publisher has no readable bucket yet');
      return null;
    }
    const record = await newestCheckpoint(storage, manifest.protocolVersion);
    if (!record || (than !== null && record.window <= than)) return null;
    onProgress?.(`Downloading the run's checkpoint of window ${record.window} (${formatBytes(record.bytes)}).`);
    await fs.mkdir(this.options.folder, { recursive: true });
    const file = path.join(this.options.folder, `run-checkpoint-${record.window}.safetensors`);
    try {
      await downloadCheckpoint(storage, record, manifest.protocolVersion, file);
      onProgress?.(`Loading the run's checkpoint of window ${record.window}.`);
      const window = await this.options.restore(file);
      if (window !== record.window) throw new Error(`the checkpoint's record says window ${record.window}, its weights hold ${window ?? 'no aggregate'}`);
      return { window, modelDigest: record.modelDigest };
    } finally {
      await fs.rm(file, { force: true });
    }
  }
}
