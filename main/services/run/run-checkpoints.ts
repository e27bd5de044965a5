import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomically } from '../../platform/atomic-file';
import type { StoragePort } from '../../ports/storage-port';

/**
 * The run's shared checkpoints (docs/PROTOCOL.md, "Checkpoints"): every so
 * many windows the run's checkpoint publisher (a hotkey the manifest names,
 * usually its validator) puts the global model, as the trainer's safetensors
 * checkpoint, into its own bucket, then a small record naming its window,
 * size and sha256. The record goes last: a record means the file is whole.
 * A peer that joins late, or comes back after more windows than the retained
 * updates cover, starts from the newest one and replays the windows since.
 */
export const CheckpointRecord = z
  .object({
    version: z.literal(1),
    /** The window whose aggregate the weights hold (the trainer's applied_window). */
    window: z.number().int().nonnegative(),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The trainer's model_digest of the weights, when known (what the peers' sync reports carry). */
    modelDigest: z.string().max(128).nullable(),
  })
  .strict();
export type CheckpointRecord = z.infer<typeof CheckpointRecord>;

/** A checkpoint file is the whole model: bounded, but far bigger than any update. */
const MAX_CHECKPOINT_BYTES = 64 * 1024 ** 3;

export function checkpointKey(window: number, protocolVersion: string): string {
  return `checkpoint-${window}-v${protocolVersion}.safetensors`;
}

export function checkpointRecordKey(window: number, protocolVersion: string): string {
  return `checkpoint-${window}-v${protocolVersion}.json`;
}

/** The windows of the checkpoint records among `keys`, newest first. */
function recordWindows(keys: readonly string[], protocolVersion: string): number[] {
  const pattern = new RegExp(`^checkpoint-(\\d+)-v${protocolVersion.replace(/[.]/g, '\\.')}\\.json$`);
  return keys
    .map((k) => pattern.exec(k)?.[1])
    .filter((w): w is string => w !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
}

/** The `__metadata__` of a trainer checkpoint (its safetensors header), or null for a file that is not one. Reads only the header. */
export async function trainerCheckpointMetadata(file: string): Promise<Record<string, string> | null> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const size = Buffer.alloc(8);
    await handle.read(size, 0, 8, 0);
    const headerBytes = Number(size.readBigUInt64LE(0));
    if (headerBytes <= 0 || headerBytes > 100 * 1024 * 1024) return null;
    const header = Buffer.alloc(headerBytes);
    await handle.read(header, 0, headerBytes, 8);
    const metadata = (JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__;
    return metadata?.['format'] === TRAINER_CHECKPOINT_FORMAT ? metadata : null;
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** native/trainer/src/checkpoint/checkpoint.h, kCheckpointFormat. */
export const TRAINER_CHECKPOINT_FORMAT = 'tandem-trainer-checkpoint';

/**
 * The window whose aggregate a trainer checkpoint holds (its safetensors
 * metadata `applied_window`), or null before any aggregate or for a file that
 * is not a trainer checkpoint.
 */
export async function appliedWindowOf(file: string): Promise<number | null> {
  const metadata = await trainerCheckpointMetadata(file);
  return metadata ? appliedWindowIn(metadata) : null;
}

/** `applied_window` from a checkpoint's metadata; -1 (no aggregate yet) and anything else are null. */
function appliedWindowIn(metadata: Record<string, string>): number | null {
  const applied = Number(metadata['applied_window'] ?? -1);
  return Number.isInteger(applied) && applied >= 0 ? applied : null;
}

/**
 * Publishes the trainer checkpoint in `file` as the run's checkpoint of the
 * window it holds, and deletes this publisher's older ones beyond `keep`.
 */
export async function publishCheckpoint(
  storage: StoragePort,
  file: string,
  options: { protocolVersion: string; keep: number; digest?: { window: number; modelDigest: string | null } },
): Promise<CheckpointRecord | null> {
  const bytes = new Uint8Array(await fs.readFile(file));
  // The window is the one in the bytes read (the trainer may write a later one meanwhile); none before the first aggregate.
  const window = windowOfBytes(bytes);
  if (window === null) return null;
  // A digest is named only for the window it was taken at.
  const modelDigest = options.digest?.window === window ? options.digest.modelDigest : null;
  const record: CheckpointRecord = { version: 1, window, bytes: bytes.byteLength, sha256: sha256(bytes), modelDigest };
  await storage.put(checkpointKey(record.window, options.protocolVersion), bytes);
  await storage.put(checkpointRecordKey(record.window, options.protocolVersion), new TextEncoder().encode(`${JSON.stringify(record)}\n`));
  const windows = recordWindows((await storage.list('checkpoint-')).map((o) => o.key), options.protocolVersion);
  const stale = windows.slice(options.keep).flatMap((w) => [checkpointRecordKey(w, options.protocolVersion), checkpointKey(w, options.protocolVersion)]);
  if (stale.length > 0) await storage.delete(stale);
  return record;
}

/** The newest checkpoint record the publisher's bucket holds, or null when there is none yet. Malformed records are skipped. */
export async function newestCheckpoint(storage: StoragePort, protocolVersion: string): Promise<CheckpointRecord | null> {
  const windows = recordWindows((await storage.list('checkpoint-')).map((o) => o.key), protocolVersion);
  for (const window of windows) {
    const bytes = await storage.get(checkpointRecordKey(window, protocolVersion), { maxBytes: 4096 });
    if (!bytes) continue;
    try {
      const parsed = CheckpointRecord.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      if (parsed.success && parsed.data.window === window) return parsed.data;
    } catch {
      // Not a record this protocol wrote: an older one may be.
    }
  }
  return null;
}

/**
 * Downloads a published checkpoint into `file` (atomically), after checking
 * its size and sha256 against the record: a checkpoint that does not match is
 * never written where the trainer would load it.
 */
export async function downloadCheckpoint(storage: StoragePort, record: CheckpointRecord, protocolVersion: string, file: string): Promise<void> {
  const key = checkpointKey(record.window, protocolVersion);
  const bytes = await storage.get(key, { maxBytes: Math.min(MAX_CHECKPOINT_BYTES, record.bytes) });
  if (!bytes) throw new Error(`the run's checkpoint ${key} is listed but missing from ${storage.name}`);
  if (bytes.byteLength !== record.bytes) throw new Error(`the run's checkpoint ${key} has ${bytes.byteLength} bytes, its record says ${record.bytes}`);
  const digest = sha256(bytes);
  if (digest !== record.sha256) throw new Error(`the run's checkpoint ${key} does not match its record (sha256 ${digest}, expected ${record.sha256}): not used`);
  await writeFileAtomically(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * What the publisher aggregated in one window: the uids whose updates went
 * into the global model, and its digest after. A peer replaying a window it
 * never saw aggregates the same uids (the subnet's incentives, which pick the
 * candidates, may have changed since), and can check the digest it reaches.
 */
export const AggregateRecord = z
  .object({
    version: z.literal(1),
    window: z.number().int().nonnegative(),
    uids: z.array(z.number().int().nonnegative()).max(4096),
    modelDigest: z.string().max(128).nullable(),
  })
  .strict();
export type AggregateRecord = z.infer<typeof AggregateRecord>;

export function aggregateRecordKey(window: number, protocolVersion: string): string {
  return `aggregate-${window}-v${protocolVersion}.json`;
}

/** Puts one window's aggregate record, and deletes the one that fell out of the run's retention. */
export async function publishAggregateRecord(storage: StoragePort, record: AggregateRecord, options: { protocolVersion: string; retentionWindows: number }): Promise<void> {
  await storage.put(aggregateRecordKey(record.window, options.protocolVersion), new TextEncoder().encode(`${JSON.stringify(AggregateRecord.parse(record))}\n`));
  const expired = record.window - options.retentionWindows;
  if (expired >= 0) await storage.delete([aggregateRecordKey(expired, options.protocolVersion)]).catch(() => undefined);
}

/** The publisher's record of `window`, or null when there is none (yet) or it is not one. */
export async function readAggregateRecord(storage: StoragePort, window: number, protocolVersion: string): Promise<AggregateRecord | null> {
  const bytes = await storage.get(aggregateRecordKey(window, protocolVersion), { maxBytes: 64 * 1024 });
  if (!bytes) return null;
  try {
    const parsed = AggregateRecord.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success && parsed.data.window === window ? parsed.data : null;
  } catch {
    return null;
  }
}

function windowOfBytes(bytes: Uint8Array): number | null {
  try {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const metadata = (JSON.parse(view.subarray(8, 8 + Number(view.readBigUInt64LE(0))).toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__;
    return metadata ? appliedWindowIn(metadata) : null;
  } catch {
    return null;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
