import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStorage, tcpLatency, chainEndpoint } from '../../../main/adapters/storage/link-probe';
import { realDeps } from '../../../main/services/hardware/readiness';
import { startLocalS3, type LocalS3 } from '../../support/local-s3-server';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy';

// A real S3 server (the devnet's) on loopback behind a token-bucket proxy: the probe must
// measure the throttled link, not the loopback.
describe('storage bandwidth probe through a throttled link', () => {
  let s3: LocalS3;
  let proxy: ThrottleProxy;
  const UP = 2 * 1024 * 1024; // 2 MiB/s up
  const DOWN = 4 * 1024 * 1024; // 4 MiB/s down

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: 'probe-bucket' });
    proxy = await startThrottleProxy({ targetPort: s3.port, upBytesPerSecond: UP, downBytesPerSecond: DOWN });
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.stop();
  });

  it('measures upload and download within 15 % of the throttle, and cleans up', async () => {
    const result = await probeStorage(
      { endpoint: proxy.url, bucket: s3.bucket, accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey, region: 'us-east-1' },
      { streams: 4, bytesPerStream: 1024 * 1024, latencySamples: 3 },
    );
    expect(result.bytesPerDirection).toBe(4 * 1024 * 1024);
    expect(Math.abs(result.uploadBytesPerSecond - UP) / UP).toBeLessThan(0.15);
    expect(Math.abs(result.downloadBytesPerSecond - DOWN) / DOWN).toBeLessThan(0.15);
    expect(result.latencyMs).toBeGreaterThan(0);
    // Everything the probe wrote went through the proxy, and it deleted its objects.
    expect(proxy.bytes.up).toBeGreaterThan(4 * 1024 * 1024);
    const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    expect(listed.Contents ?? []).toHaveLength(0);
    client.destroy();
  }, 60_000);

  it('reports a refused connection as an error, not a number', async () => {
    await expect(
      probeStorage({ endpoint: 'http://127.0.0.1:1', bucket: 'x-bucket', accessKeyId: 'a', secretAccessKey: 'b' }, { streams: 1, bytesPerStream: 1024, latencySamples: 1 }),
    ).rejects.toThrow();
  });

  it('names the failure in words for the doctor, as the storage test does', async () => {
    await expect(realDeps.probeStorage({ endpoint: 'http://127.0.0.1:1', bucket: 'x-bucket', accessKeyId: 'a', secretAccessKey: 'b' })).rejects.toThrow(
      'Cannot reach 127.0.0.1:1 (ECONNREFUSED). Check the endpoint URL and port, and that no firewall or proxy blocks it.',
    );
  });
});

describe('chain latency', () => {
  it('times a TCP handshake to a listening port', async () => {
    const net = await import('node:net');
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const ms = await tcpLatency('127.0.0.1', port, 3);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(1000);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('maps network names to endpoints; devnet has none', () => {
    expect(chainEndpoint('devnet')).toBeNull();
    expect(chainEndpoint('finney')).toMatchObject({ host: 'entrypoint-finney.opentensor.ai', port: 443 });
    expect(chainEndpoint('ws://10.0.0.5:9944')).toMatchObject({ host: '10.0.0.5', port: 9944 });
  });
});
