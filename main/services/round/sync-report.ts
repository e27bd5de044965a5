import { z } from 'zod';
import type { TrainerPort } from '../../ports/trainer-port';

/**
 * What a peer says about the model it trained from, uploaded beside its
 * update: the digest of its weights (the trainer's model_digest after the
 * last outer step it applied) and the window of that step. A validator
 * compares both with its own global model (the Gauntlet sync check).
 */
export const SyncReportSchema = z.object({
  version: z.literal(1),
  window: z.number().int().nonnegative(),
  /** Window of the last aggregate in the peer's model; null for the initial weights. */
  basedOnWindow: z.number().int().nonnegative().nullable(),
  modelDigest: z.string().max(128).nullable(),
  /**
   * The peer's proof that it holds that model: the trainer's digest of its
   * weights keyed by the peer's uid and `basedOnWindow` (modelProofKey). The
   * digest alone is the same for every peer in sync and could be copied from
   * another's report; the proof is good for this peer only.
   */
  modelProof: z.string().regex(/^[0-9a-f]{16}$/).optional(),
});
export type SyncReport = z.infer<typeof SyncReportSchema>;

export function syncReportKey(window: number, uid: number, protocolVersion: string): string {
  return `sync-${window}-${uid}-v${protocolVersion}`;
}

/** The window and uid of a sync report's key, or null for any other key. */
export function parseSyncReportKey(key: string): { window: number; uid: number } | null {
  const match = /^sync-(\d+)-(\d+)-v[^/]+$/.exec(key);
  return match ? { window: Number(match[1]), uid: Number(match[2]) } : null;
}

export function encodeSyncReport(report: SyncReport): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(SyncReportSchema.parse(report))}\n`);
}

/** The report, or null for anything that is not one (a peer's upload is untrusted input). */
export function decodeSyncReport(bytes: Uint8Array | null): SyncReport | null {
  if (!bytes || bytes.byteLength > 4096) return null;
  try {
    const parsed = SyncReportSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The key a peer's model proof is made with: its uid and the window of the model. */
export function modelProofKey(uid: number, window: number): string {
  return `${uid}:${window}`;
}

/**
 * Tracks the model a peer holds: the digest after each outer step and the
 * window whose aggregate last changed it. A step that leaves the digest as it
 * was (a peer that stopped following the run) does not move the window on.
 */
export class ModelBasis {
  window: number | null = null;
  digest: string | null = null;
  /** This peer's proof of the model (modelProofKey), once the trainer made it. */
  proof: string | null = null;

  applied(window: number, digest: string | null): void {
    if (digest !== null && digest === this.digest) return;
    this.window = window;
    this.digest = digest;
    this.proof = null;
  }

  /** The weights now differ from anything this basis can name (a trainer that came back from an older checkpoint). */
  forget(window: number): void {
    this.window = window;
    this.digest = null;
    this.proof = null;
  }

  /** Has the trainer prove the model this basis names, keyed by this peer's uid (nothing when it cannot). */
  async prove(uid: number, trainer: Pick<TrainerPort, 'modelProofs'>): Promise<void> {
    const window = this.window;
    if (window === null || !trainer.modelProofs) return;
    const [proof] = (await trainer.modelProofs([modelProofKey(uid, window)])) ?? [];
    if (this.window === window) this.proof = proof ?? null;
  }

  report(window: number): SyncReport {
    return { version: 1, window, basedOnWindow: this.window, modelDigest: this.digest, ...(this.proof ? { modelProof: this.proof } : {}) };
  }
}
