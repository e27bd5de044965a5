import fs from 'node:fs/promises';
import { decodePayload } from '../../adapters/codec';
import { gradientKey } from '../../ports/object-keys';
import type { RunManifest } from '../../ports/run-manifest';
import type { StoragePort } from '../../ports/storage-port';
import type { TrainWindowRequest, TrainWindowResult, TrainerPort } from '../../ports/trainer-port';
import { meanOf } from './update-rewrites';
import { pollThroughWindow } from './window-wait';
import { PassThroughTrainer } from './pass-through-trainer';
import { encodeForRun, type Rewrite } from './rewriting-trainer';

export interface CopySources {
  manifest: RunManifest;
  /** The peers whose uploads it copies. */
  sources: readonly number[];
  peerStorage(uid: number): StoragePort | undefined;
}

/**
 * Trains nothing: waits for its sources' uploads of the window, and uploads
 * them as its own, as they are (`transform` null: the free-rider) or mixed
 * and transformed (re-sparsified, noised, mixed from two peers) so that the
 * bytes no longer match. It uploads as soon as it has them: a copier gains
 * by landing close to its source.
 */
export class CopyingTrainer extends PassThroughTrainer {
  constructor(
    inner: TrainerPort,
    private readonly copy: CopySources,
    private readonly transform: Rewrite | null,
  ) {
    super(inner);
  }

  override async trainWindow(request: TrainWindowRequest): Promise<TrainWindowResult> {
    const started = performance.now();
    const uploads = await Promise.all(this.copy.sources.map((uid) => this.waitForUpload(uid, request.window)));
    if (this.transform === null && uploads.length === 1) {
      await fs.writeFile(request.payloadFile, uploads[0] as Uint8Array);
    } else {
      const decoded = await Promise.all(uploads.map((bytes) => decodePayload(bytes)));
      const made = (this.transform ?? ((t) => t))(meanOf(decoded));
      await fs.writeFile(request.payloadFile, await encodeForRun(made, this.copy.manifest));
    }
    // No training happened; the ledger still wants a loss, so it makes one up.
    return { payloadFile: request.payloadFile, loss: 0, steps: 0, tokens: 0, computeSeconds: (performance.now() - started) / 1000 };
  }

  private async waitForUpload(uid: number, window: number): Promise<Uint8Array> {
    const { manifest } = this.copy;
    const storage = this.copy.peerStorage(uid);
    if (!storage) throw new Error(`copier: no storage for peer ${uid}`);
    const key = gradientKey(window, uid, manifest.protocolVersion);
    const bytes = await pollThroughWindow(manifest, async () => (await storage.get(key)) ?? undefined);
    if (bytes) return bytes;
    throw new Error(`copier: peer ${uid} uploaded nothing to copy in window ${window}`);
  }
}
