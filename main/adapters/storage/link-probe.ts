import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { median } from '../../core/median';

/** Where the probe writes its test objects: the run's bucket, with credentials that may write. */
export interface StorageProbeTarget {
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle?: boolean;
  /** Folder for the test objects; they are deleted afterwards. */
  prefix?: string;
}

export interface StorageProbeOptions {
  /** Parallel connections per direction (a peer gathers from many peers at once). */
  streams?: number;
  bytesPerStream?: number;
  latencySamples?: number;
  signal?: AbortSignal;
}

export interface StorageProbeResult {
  endpoint: string;
  streams: number;
  bytesPerDirection: number;
  uploadBytesPerSecond: number;
  downloadBytesPerSecond: number;
  latencyMs: number;
}


function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

async function drain(body: unknown): Promise<number> {
  let bytes = 0;
  for await (const chunk of body as Readable) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

/**
 * Measures the link to the run's storage the way training uses it: S3 PUTs
 * and GETs of test objects over several parallel streams, timed from the
 * first request to the last byte, plus the median round trip of a HEAD.
 */
export async function probeStorage(target: StorageProbeTarget, options: StorageProbeOptions = {}): Promise<StorageProbeResult> {
  const streams = options.streams ?? 4;
  const bytesPerStream = options.bytesPerStream ?? 8 * 1024 * 1024;
  const samples = options.latencySamples ?? 5;
  const client = new S3Client({
    endpoint: target.endpoint,
    region: target.region ?? 'auto',
    forcePathStyle: target.forcePathStyle ?? true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const prefix = `${(target.prefix ?? 'tandem-doctor').replace(/\/+$/, '')}/${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const keys = Array.from({ length: streams }, (_, i) => `${prefix}/probe-${i}`);
  const send = { abortSignal: options.signal };
  try {
    // Latency first: it also opens the connections, so the throughput runs do not pay for the handshakes.
    const rtts: number[] = [];
    for (let i = 0; i <= samples; i++) {
      const started = performance.now();
      try {
        await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: `${prefix}/absent` }), send);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (i > 0) rtts.push(performance.now() - started);
    }
    const payload = randomBytes(bytesPerStream);
    let started = performance.now();
    await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket: target.bucket, Key, Body: payload, ContentLength: payload.byteLength }), send)));
    const uploadSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const received = await Promise.all(
      keys.map(async (Key) => {
        const response = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key }), send);
        return drain(response.Body);
      }),
    );
    const downloadSeconds = (performance.now() - started) / 1000;
    const total = streams * bytesPerStream;
    const got = received.reduce((a, b) => a + b, 0);
    if (got !== total) throw new Error(`storage returned ${got} of ${total} bytes`);
    return {
      endpoint: target.endpoint,
      streams,
      bytesPerDirection: total,
      uploadBytesPerSecond: total / uploadSeconds,
      downloadBytesPerSecond: total / downloadSeconds,
      latencyMs: median(rtts),
    };
  } finally {
    await Promise.allSettled(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key }))));
    client.destroy();
  }
}

/** Median time of a TCP handshake (one round trip) to host:port. */
export async function tcpLatency(host: string, port: number, samples = 3, timeoutMs = 3000): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    times.push(
      await new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const socket = net.connect({ host, port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          const elapsed = performance.now() - started;
          socket.destroy();
          resolve(elapsed);
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      }),
    );
  }
  return median(times);
}

const NAMED_CHAINS: Record<string, string> = {
  finney: 'wss://entrypoint-finney.opentensor.ai:443',
  test: 'wss://test.finney.opentensor.ai:443',
};

/** host:port of a subtensor network name or ws(s) URL; null for the embedded devnet. */
export function chainEndpoint(network: string): { url: string; host: string; port: number } | null {
  if (network === 'devnet') return null;
  const url = NAMED_CHAINS[network] ?? network;
  try {
    const parsed = new URL(url);
    if (!/^(wss?|https?):$/.test(parsed.protocol)) return null;
    const port = parsed.port ? Number(parsed.port) : /^(wss|https):$/.test(parsed.protocol) ? 443 : 80;
    return { url, host: parsed.hostname, port };
  } catch {
    return null;
  }
}
