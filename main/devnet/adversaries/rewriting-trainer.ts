import fs from 'node:fs/promises';
import { decodePayload, encodeTensors, type DecodedTensor } from '../../adapters/codec';
import type { RunManifest } from '../../ports/run-manifest';
import type { StepProgress, TrainerPort, TrainWindowRequest, TrainWindowResult } from '../../ports/trainer-port';
import { PassThroughTrainer } from './pass-through-trainer';

export type Rewrite = (tensors: DecodedTensor[]) => DecodedTensor[];

/** Encodes decoded tensors as the run's codec does (its top-k and chunk side). */
export function encodeForRun(tensors: DecodedTensor[], manifest: RunManifest): Promise<Uint8Array> {
  const { topK, chunkSize } = manifest.sparseloco;
  return encodeTensors(tensors, { k: topK, blockSize: Math.round(Math.sqrt(chunkSize)) });
}

/** Trains honestly, then replaces the update with a rewritten one before it is uploaded. */
export class RewritingTrainer extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly manifest: RunManifest,
    private readonly rewrite: Rewrite,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest, onStep: (progress: StepProgress) => void): Promise<TrainWindowResult> {
    const result = await this.inner.trainWindow(request, onStep);
    const tensors = await decodePayload(new Uint8Array(await fs.readFile(result.payloadFile)));
    await fs.writeFile(result.payloadFile, await encodeForRun(this.rewrite(tensors), this.manifest));
    return result;
  }
}
