import fs from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { downloadShard } from '../data/shard-download';
import { formatBytes } from '../hardware/values';
import type { Logger } from '../../core/logging/logger';
import type { RunManifest } from '../../ports/run-manifest';
import { appliedWindowOf, trainerCheckpointMetadata } from './run-checkpoints';

export interface InitialWeightsOptions {
  /** S3 clients for an s3:// URL (the run owner's bucket, read with its published key). */
  openS3?: (bucket: string) => S3Client;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * A run that starts from given weights (manifest `checkpoints.initial`, put
 * there by `tandem run create --initial`) rather than from the model's seeded
 * initialisation: before this machine's trainer first starts, its checkpoint
 * file becomes those weights, downloaded (resumable), checked against the
 * manifest's size and sha256, and only then renamed into place. The trainer
 * then starts from them as from its own last checkpoint. A machine that
 * already holds a checkpoint of the run keeps it: it holds the initial
 * weights or a later model. Answers whether it placed them.
 */
export async function placeInitialWeights(manifest: RunManifest, checkpointFile: string, options: InitialWeightsOptions): Promise<boolean> {
  const initial = manifest.checkpoints.initial;
  if (!initial || fs.existsSync(checkpointFile)) return false;
  options.logger.info({ url: initial.url, bytes: initial.bytes }, `downloading the run's initial weights (${formatBytes(initial.bytes)})`);
  try {
    await downloadShard(initial, checkpointFile, { ...(options.openS3 ? { openS3: options.openS3 } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw new Error(`the run's initial weights could not be had: ${(error as Error).message}`, { cause: error });
  }
  const problem = await initialWeightsProblem(checkpointFile);
  if (problem) {
    await fs.promises.rm(checkpointFile, { force: true });
    throw new Error(`the run's initial weights at ${initial.url} are unusable: ${problem}`);
  }
  return true;
}

/**
 * What makes a file unfit as a run's initial weights, or null: it must be a
 * trainer checkpoint of the run's model that holds no window's aggregate yet
 * (a checkpoint of another run's window would make every peer think it had
 * already applied that window). `expectedModel`: the trainer's model config
 * the run names.
 */
export async function initialWeightsProblem(file: string, expectedModel?: Record<string, unknown>): Promise<string | null> {
  const metadata = await trainerCheckpointMetadata(file);
  if (!metadata) return 'it is not a Tandem trainer checkpoint (a safetensors file whose metadata says format tandem-trainer-checkpoint)';
  const window = await appliedWindowOf(file);
  if (window !== null) return `it holds the aggregate of window ${window}: initial weights hold none (a checkpoint written before the first outer step)`;
  if (expectedModel) {
    let model: Record<string, unknown>;
    try {
      model = JSON.parse(metadata['model_config'] ?? '') as Record<string, unknown>;
    } catch {
      return 'its metadata has no readable model_config';
    }
    // The seed made the weights; the shapes must be the run's.
    const differing = Object.keys(expectedModel).filter((key) => key !== 'init_seed' && JSON.stringify(model[key]) !== JSON.stringify(expectedModel[key]));
    if (differing.length > 0) return `its model is not the run's: ${differing.map((key) => `${key} ${JSON.stringify(model[key])} where the manifest says ${JSON.stringify(expectedModel[key])}`).join(', ')}`;
  }
  return null;
}
