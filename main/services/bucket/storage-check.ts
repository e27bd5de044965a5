import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { StorageTestProgress, StorageTestResult, StorageTestStep, StorageTestStepId } from '../../../contract/domains/storage';
import { probeStorage, type StorageProbeOptions, type StorageProbeResult, type StorageProbeTarget } from '../../adapters/storage/link-probe';
import { S3Storage } from '../../adapters/storage/s3-storage';
import type { StorageCredentials, StorageKeyPair, StorageLocation } from '../../ports/storage-credentials';
import { describeStorageFailure, type StorageFailure } from '../../adapters/storage/storage-failure';
import type { StoragePort } from '../../ports/storage-port';

export const READ_KEY_CAN_WRITE_WARNING = 'The read key can write: anyone who reads it from the chain could overwrite or delete your updates. Replace it with a read-only key (R2: an "Object Read only" API token).';

const TITLES: Record<StorageTestStepId, string> = {
  'write.put': 'Write key uploads a test object',
  'write.get': 'Write key reads it back',
  'write.list': 'Write key lists the bucket',
  'read.get': 'Read key downloads it',
  'read.list': 'Read key lists the bucket',
  'read.cannot-write': 'Read key cannot write',
  'write.delete': 'Write key deletes it',
  speed: 'Latency and speed',
};
const ORDER = Object.keys(TITLES) as StorageTestStepId[];

export interface StorageCheckOptions {
  onProgress?: (progress: StorageTestProgress) => void;
  /** Limit for each call before it counts as "no answer". */
  timeoutMs?: number;
  /** The speed probe's size (main/adapters/storage/link-probe.ts: probeStorage); false skips it. */
  speed?: Pick<StorageProbeOptions, 'streams' | 'bytesPerStream' | 'latencySamples'> | false;
  /** Injected by tests: a bucket as one key pair sees it, and the speed probe. */
  open?: (location: StorageLocation, pair: StorageKeyPair) => StoragePort & { close?(): void };
  probe?: (target: StorageProbeTarget, options: StorageProbeOptions) => Promise<StorageProbeResult>;
  now?: () => number;
}

/** The write key pair as the readiness checks' speed probe takes it. */
export function probeTargetOf(credentials: StorageCredentials): StorageProbeTarget {
  const { endpoint, region, bucket, forcePathStyle, write } = credentials;
  return { endpoint, region, bucket, forcePathStyle, accessKeyId: write.accessKeyId, secretAccessKey: write.secretAccessKey, prefix: 'tandem-probe' };
}

/**
 * Tries the bucket the way a round uses it, with a test object under
 * tandem-probe/: the write key puts, gets, lists and deletes it; the read key
 * gets and lists it and must NOT be able to write (it is published on chain).
 * Then latency and Mb/s each way. A failing step is named in words and the
 * steps that needed it are skipped; test objects are removed whatever happens.
 */
export async function checkStorage(credentials: StorageCredentials, options: StorageCheckOptions = {}): Promise<StorageTestResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const open = options.open ?? ((location, pair) => new S3Storage({ ...location, ...pair, maxAttempts: 2 }));
  const writer = open(credentials, credentials.write);
  const reader = open(credentials, credentials.read);
  const folder = `tandem-probe/${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
  const objectKey = `${folder}object`;
  const intruderKey = `${folder}written-with-the-read-key`;
  const body = new Uint8Array(randomBytes(64 * 1024));
  const steps: StorageTestStep[] = [];
  const total = ORDER.length;
  let readKeyCanWrite = false;
  // A fresh time limit for each call.
  const call = () => ({ signal: AbortSignal.timeout(timeoutMs) });
  const failure = (error: unknown, key: 'write' | 'read'): StorageFailure =>
    describeStorageFailure(error, { key, accessKeyId: credentials[key].accessKeyId, location: credentials, timeoutMs });

  const record = (id: StorageTestStepId, status: StorageTestStep['status'], detail: string, ms: number | null) => {
    steps.push({ id, title: TITLES[id], status, detail, ms });
  };
  const run = async (id: StorageTestStepId, key: 'write' | 'read', work: () => Promise<string | { status: StorageTestStep['status']; detail: string }>): Promise<boolean> => {
    options.onProgress?.({ step: TITLES[id], completed: steps.length, total });
    const started = performance.now();
    try {
      const outcome = await work();
      const { status, detail } = typeof outcome === 'string' ? { status: 'pass' as const, detail: outcome } : outcome;
      record(id, status, detail, performance.now() - started);
      return status !== 'fail';
    } catch (error) {
      record(id, 'fail', failure(error, key).message, performance.now() - started);
      return false;
    }
  };
  const skip = (id: StorageTestStepId, why: string) => record(id, 'skip', why, null);
  const sameBytes = (got: Uint8Array | null, what: string) => {
    if (got === null) throw new Error(`${what} is missing right after it was written`);
    if (Buffer.compare(Buffer.from(got), Buffer.from(body)) !== 0) throw new Error(`${what} came back with different bytes (${got.byteLength} of ${body.byteLength})`);
  };

  try {
    const written = await run('write.put', 'write', async () => {
      await writer.put(objectKey, body, call());
      return `wrote ${objectKey} (${body.byteLength / 1024} KiB)`;
    });
    if (written) {
      await run('write.get', 'write', async () => {
        sameBytes(await writer.get(objectKey, call()), 'the test object');
        return 'the same bytes came back';
      });
      await run('write.list', 'write', async () => listed(await writer.list(folder, call()), objectKey));
      await run('read.get', 'read', async () => {
        const got = await reader.get(objectKey, call());
        if (got === null) return { status: 'fail', detail: `the read key does not see ${objectKey}, which the write key just wrote: are both keys for bucket "${credentials.bucket}"?` };
        sameBytes(got, 'the test object');
        return 'the same bytes came back';
      });
    } else {
      for (const id of ['write.get', 'write.list', 'read.get'] as const) skip(id, 'needs the test object, which the write key could not upload');
    }
    await run('read.list', 'read', async () => (written ? listed(await reader.list(folder, call()), objectKey) : `listed ${(await reader.list(folder, call())).length} objects`));
    await run('read.cannot-write', 'read', async () => {
      try {
        await reader.put(intruderKey, new Uint8Array(randomBytes(16)), call());
      } catch (error) {
        const why = failure(error, 'read');
        if (why.kind === 'denied') return 'the server refused a write with the read key, as it should';
        return { status: 'warn', detail: `could not confirm that the read key is read-only: ${why.message}` };
      }
      readKeyCanWrite = true;
      await writer.delete([intruderKey], call()).catch(() => reader.delete([intruderKey], call()));
      return { status: 'warn', detail: READ_KEY_CAN_WRITE_WARNING };
    });
    if (written) {
      await run('write.delete', 'write', async () => {
        await writer.delete([objectKey], call());
        if ((await writer.head(objectKey, call())) !== null) return { status: 'fail', detail: `${objectKey} is still there after the delete: the write key may not delete objects, so old updates would pile up` };
        return 'deleted, and gone';
      });
    } else skip('write.delete', 'needs the test object, which the write key could not upload');

    if (options.speed === false) skip('speed', 'not measured this time');
    else if (!written) skip('speed', 'needs a write key that can upload');
    else {
      options.onProgress?.({ step: TITLES.speed, completed: steps.length, total });
      const started = performance.now();
      try {
        const measured = await (options.probe ?? probeStorage)(probeTargetOf(credentials), { streams: 4, bytesPerStream: 4 * 1024 * 1024, ...options.speed, signal: AbortSignal.timeout(Math.max(timeoutMs, 120_000)) });
        record('speed', 'pass', speedLine(measured), performance.now() - started);
        return finish({ latencyMs: measured.latencyMs, uploadMbps: mbps(measured.uploadBytesPerSecond), downloadMbps: mbps(measured.downloadBytesPerSecond), streams: measured.streams, bytesPerDirection: measured.bytesPerDirection });
      } catch (error) {
        record('speed', 'fail', failure(error, 'write').message, performance.now() - started);
      }
    }
    return finish(null);
  } finally {
    await writer.delete([objectKey, intruderKey], call()).catch(() => undefined);
    writer.close?.();
    reader.close?.();
  }

  function finish(speed: StorageTestResult['speed']): StorageTestResult {
    options.onProgress?.({ step: 'Done', completed: total, total });
    return {
      ok: steps.every((s) => s.status !== 'fail'),
      endpoint: credentials.endpoint,
      bucket: credentials.bucket,
      steps,
      speed,
      readKeyCanWrite,
      warnings: readKeyCanWrite ? [READ_KEY_CAN_WRITE_WARNING] : [],
      finishedAt: (options.now ?? Date.now)(),
    };
  }
}

function listed(objects: Array<{ key: string }>, key: string): string | { status: 'fail'; detail: string } {
  return objects.some((o) => o.key === key) ? `found the test object among ${objects.length}` : { status: 'fail', detail: `the listing of ${key.slice(0, key.lastIndexOf('/') + 1)} does not show the test object` };
}

const mbps = (bytesPerSecond: number) => (bytesPerSecond * 8) / 1e6;

function speedLine(m: StorageProbeResult): string {
  return `${m.latencyMs.toFixed(1)} ms round trip; up ${mbps(m.uploadBytesPerSecond).toFixed(1)} Mb/s, down ${mbps(m.downloadBytesPerSecond).toFixed(1)} Mb/s (${m.streams} streams, ${(m.bytesPerDirection / 2 ** 20).toFixed(0)} MiB each way)`;
}
