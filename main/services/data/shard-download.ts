import fs from 'node:fs/promises';
import path from 'node:path';
import type { ShardSpec } from '../../ports/run-manifest';
import { PartFile } from './part-file';
import { ShardDownloadError } from './shard-download-error';
import { openShardBody, RANGE_NOT_SATISFIABLE, type ShardBody, type ShardSourceOptions } from './shard-source';
import { TransferMeter } from './transfer-meter';

export { ShardDownloadError, type ShardDownloadFailure } from './shard-download-error';

export interface ShardDownloadProgress {
  url: string;
  /** Bytes held, including those resumed from an earlier attempt. */
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface DownloadShardOptions extends ShardSourceOptions {
  /** Called at most every 250 ms, and once when the last byte is in. */
  onProgress?(progress: ShardDownloadProgress): void;
}

/**
 * Fetches one shard into `destFile`, checked against the manifest's size and
 * SHA-256. Bytes go to `destFile.part` first, so an interrupted download (an
 * abort, a dropped link, a full disk) resumes from where it stopped with a
 * range request; the shard appears at `destFile` only whole, verified and
 * synced. Bytes that are not the shard (wrong size, wrong hash) are deleted.
 */
/** What a download checks: a listed shard, or any file a manifest names the same way (the run's initial weights). */
export type VerifiedFile = Pick<ShardSpec, 'url' | 'bytes' | 'sha256'>;

export async function downloadShard(spec: VerifiedFile, destFile: string, options: DownloadShardOptions = {}): Promise<void> {
  const url = spec.url;
  await fs.mkdir(path.dirname(destFile), { recursive: true });
  options.signal?.throwIfAborted();
  const part = await PartFile.open(`${destFile}.part`, url);
  try {
    // More bytes than the shard has cannot be a prefix of it.
    if (part.size > spec.bytes) await part.truncate();
    if (part.size < spec.bytes) await fetchRest(spec, part, options);
    const got = part.digest();
    if (got !== spec.sha256) {
      await part.discard();
      throw new ShardDownloadError(url, 'sha256', `sha256 mismatch for ${url}: expected ${spec.sha256}, got ${got} (the download was deleted)`);
    }
    await part.commit(destFile);
  } catch (error) {
    await part.close();
    // The caller's own reason, not whatever a stream made of it, and the .part stays for resuming.
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof ShardDownloadError) throw error;
    // A file-system error (it carries the path it concerns) says what went wrong as it is.
    if (error instanceof Error && 'path' in error) throw error;
    throw new ShardDownloadError(url, 'network', `${url}: the download broke off at ${part.size} of ${spec.bytes} bytes (kept for resuming): ${describe(error)}`, { cause: error });
  }
}

/** Appends the bytes from `part.size` to the end, from wherever the source starts its answer. */
async function fetchRest(spec: VerifiedFile, part: PartFile, options: DownloadShardOptions): Promise<void> {
  const url = spec.url;
  let answer = await openShardBody(url, part.size, options);
  if (answer === RANGE_NOT_SATISFIABLE) {
    // The source is shorter than what we hold: start again and let the size check name it.
    await part.truncate();
    answer = await openShardBody(url, 0, options);
    if (answer === RANGE_NOT_SATISFIABLE) throw new ShardDownloadError(url, 'http', `${url}: the source refused a download from byte 0`);
  }
  const body: ShardBody = answer;
  if (body.start !== part.size) {
    if (body.start !== 0) {
      body.cancel();
      throw new ShardDownloadError(url, 'http', `${url}: asked for the bytes from ${part.size} on, the source answered from ${body.start}`);
    }
    // The source ignored the range and sent the whole shard: keep its bytes, not ours.
    await part.truncate();
  }
  if (body.objectBytes !== null && body.objectBytes !== spec.bytes) {
    body.cancel();
    await part.discard();
    throw sizeError(spec, body.objectBytes);
  }

  const meter = new TransferMeter();
  const report = () =>
    options.onProgress?.({ url, bytesDone: part.size, bytesTotal: spec.bytes, bytesPerSecond: meter.bytesPerSecond, etaSeconds: meter.etaSeconds(spec.bytes - part.size) });
  if (meter.reportDue()) report();
  for await (const chunk of body.chunks) {
    options.signal?.throwIfAborted();
    if (part.size + chunk.length > spec.bytes) {
      body.cancel();
      const over = part.size + chunk.length;
      await part.discard();
      throw sizeError(spec, over, 'at least ');
    }
    await part.append(chunk);
    meter.add(chunk.length);
    if (meter.reportDue()) report();
  }
  options.signal?.throwIfAborted();
  if (part.size < spec.bytes) {
    const got = part.size;
    await part.discard();
    throw sizeError(spec, got);
  }
  report();
}

function sizeError(spec: VerifiedFile, got: number, qualifier = ''): ShardDownloadError {
  return new ShardDownloadError(spec.url, 'size', `${spec.url} has the wrong size: expected ${spec.bytes} bytes, got ${qualifier}${got} (the download was deleted)`);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch's "fetch failed" says nothing; the socket error is in its cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
