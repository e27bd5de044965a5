import fs from 'node:fs/promises';
import path from 'node:path';
import { gradientKey } from '../../ports/object-keys';
import type { GatherPeer, GatherResult } from '../round/gather';
import { decodeSyncReport, syncReportKey, type SyncReport } from '../round/sync-report';
import type { PayloadFingerprint } from './payload-fingerprint';

/** One miner's update of a window, written to a file for the trainer to evaluate and apply. */
export interface Upload {
  uid: number;
  file: string;
  uploadedAt: number;
  print: PayloadFingerprint;
}

export interface WindowUploads {
  /** The accepted updates, by uid. */
  uploads: Map<number, Upload>;
  /** When the storage says each present update was stored (epoch ms): judged against the upload deadline. */
  uploadedAt: Map<number, number>;
  /** Each present peer's sync report (null: none, or unreadable). */
  reports: Map<number, SyncReport | null>;
}

/**
 * Everything the validator judges a window on, beyond the gathered payloads:
 * when each update was stored (the gather only says whether it came in time
 * for its own polling) and each peer's sync report; the accepted payloads are
 * written to `workDir` because the trainer reads updates from files.
 */
export async function collectUploads(input: {
  window: number;
  protocolVersion: string;
  workDir: string;
  peers: GatherPeer[];
  gathered: GatherResult;
  /** The payload's fingerprint (copies, norms), from the decode its gather check made. */
  printOf(uid: number, payload: Uint8Array): Promise<PayloadFingerprint>;
}): Promise<WindowUploads> {
  const { window, protocolVersion, workDir, gathered } = input;
  await fs.mkdir(workDir, { recursive: true });
  const uploads = new Map<number, Upload>();
  const uploadedAt = new Map<number, number>();
  const reports = new Map<number, SyncReport | null>();
  const storageOf = new Map(input.peers.map((p) => [p.uid, p.storage]));
  await Promise.all(
    gathered.peers.map(async (account) => {
      const storage = storageOf.get(account.uid);
      if (!storage || account.outcome === 'missing') return;
      // The gather knows when most updates were stored (from their download); only the others are asked for.
      const [storedAt, report] = await Promise.all([
        account.storedAt ??
          storage
            .head(gradientKey(window, account.uid, protocolVersion))
            .then((head) => head?.lastModified.getTime())
            .catch(() => undefined),
        storage.get(syncReportKey(window, account.uid, protocolVersion), { maxBytes: 4096 }).catch(() => null),
      ]);
      if (storedAt !== undefined) uploadedAt.set(account.uid, storedAt);
      reports.set(account.uid, decodeSyncReport(report));
    }),
  );
  for (const { uid, payload } of gathered.payloads) {
    const file = path.join(workDir, `window-${window}-peer-${uid}.tndc`);
    await fs.writeFile(file, payload);
    const print = await input.printOf(uid, payload);
    uploads.set(uid, { uid, file, uploadedAt: uploadedAt.get(uid) ?? Date.now(), print });
  }
  return { uploads, uploadedAt, reports };
}
