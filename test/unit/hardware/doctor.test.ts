import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardwareReport, type SystemInfo } from '../../../contract/domains/hardware';
import { runDoctor, type DoctorIo } from '../../../main/shells/cli/commands/doctor';
import { detectGpus } from '../../../main/services/hardware/detect';
import type { ReadinessDeps } from '../../../main/services/hardware/readiness';
import { makeTempDir } from '../../support/temp-dir';
import { skippedUnless } from '../../support/skip-note';
import { fixturesDir, readFixture, SKIP_MESSAGE } from './fixtures';

const GiB = 2 ** 30;
const system = (over: Partial<SystemInfo> = {}): SystemInfo => ({
  hostname: 'test-host',
  os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64' },
  cpu: { brand: 'Test CPU', cores: 16, physicalCores: 8 },
  memory: { totalBytes: 64 * GiB, availableBytes: 60 * GiB },
  disk: { path: '/data', freeBytes: 500 * GiB, totalBytes: 1000 * GiB },
  virtualization: { container: null, vm: null },
  ...over,
});

/** No nvidia-smi on the PATH, as on this machine: the spawn fails with ENOENT. */
const noNvidiaSmi = () => detectGpus(async () => ({ stdout: '', stderr: 'spawn nvidia-smi ENOENT', exitCode: null, errorCode: 'ENOENT' }));

function deps(over: Partial<ReadinessDeps> = {}): ReadinessDeps {
  return {
    detectGpus: noNvidiaSmi,
    detectSystem: async () => system(),
    probeStorage: async () => {
      throw new Error('no storage in this test');
    },
    chainLatency: async () => null,
    ...over,
  };
}

function io(over: Partial<DoctorIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: DoctorIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), deps: deps(), dataDir: '/data', env: {}, ...over };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('tandem doctor', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  it('without a GPU, the default (GPU run) requirements fail on gpu.present: exit 2 with a remediation', async () => {
    const t = io();
    const code = await runDoctor({ json: true }, t.io);
    expect(code).toBe(2);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(report.schema).toBe('tandem.doctor/v1');
    const present = report.checks.find((c) => c.id === 'gpu.present')!;
    expect(present.status).toBe('fail');
    expect(present.remediation).toMatch(/Install the NVIDIA driver/);
    expect(report.gpu.diagnoses[0]!.code).toBe('nvidia-smi-missing');
    expect(report.summary.overall).toBe('fail');
  });

  it('with devnet requirements the same machine passes (0, or 1 only for warnings)', async () => {
    const t = io();
    const code = await runDoctor({ json: true, manifest: 'devnet' }, t.io);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(code).toBe(report.summary.warn > 0 ? 1 : 0);
    expect(report.checks.find((c) => c.id === 'gpu.present')!.status).toBe('pass');
  });

  it('a container without GPU access is told to pass the GPUs in', async () => {
    const t = io({ deps: deps({ detectSystem: async () => system({ virtualization: { container: 'docker', vm: 'KVM' } }) }) });
    await runDoctor({ json: true, skipNetwork: true }, t.io);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(report.checks.find((c) => c.id === 'gpu.present')!.remediation).toContain('--gpus all');
    expect(report.checks.find((c) => c.id === 'system.virtualization')!.measured).toBe('docker container, KVM VM');
  });

  it('prints a table and writes a self-contained HTML report with every check', async () => {
    const file = path.join(temp.dir, 'report.html');
    const t = io();
    const code = await runDoctor({ html: file, skipNetwork: true }, t.io);
    expect(code).toBe(2);
    expect(t.out()).toMatch(/FAIL\s+gpu\.present/);
    expect(t.out()).toContain('What to do:');
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('test-host');
    expect(html).not.toMatch(/<script|<link|src=/i);
    const jsonRun = io();
    await runDoctor({ json: true, skipNetwork: true }, jsonRun.io);
    for (const check of HardwareReport.parse(JSON.parse(jsonRun.out())).checks) expect(html).toContain(check.id);
  });

  it('--skip-network marks network checks skipped, which does not change the exit code', async () => {
    const t = io();
    const code = await runDoctor({ json: true, manifest: 'devnet', skipNetwork: true }, t.io);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(report.checks.filter((c) => c.category === 'network').every((c) => c.status === 'skip')).toBe(true);
    expect(code).toBeLessThan(2);
  });

  it('reads requirements from a manifest file and names a bad field', async () => {
    const good = path.join(temp.dir, 'req.json');
    fs.writeFileSync(good, JSON.stringify({ gpuCount: 0, ramGiB: 128 }));
    const t = io();
    expect(await runDoctor({ json: true, manifest: good, skipNetwork: true }, t.io)).toBe(2);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(report.checks.find((c) => c.id === 'ram.total')).toMatchObject({ status: 'fail', required: '≥ 128 GiB' });
    const bad = path.join(temp.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ gpuCount: -1 }));
    const b = io();
    expect(await runDoctor({ json: true, manifest: bad }, b.io)).toBe(2);
    expect(b.err()).toContain('gpuCount');
    expect(b.out()).toBe('');
  });

  it('measures the link when the manifest names storage, and judges the upload deadline', async () => {
    const manifest = {
      version: 1,
      name: 'test-run',
      protocolVersion: '1',
      model: { vocabSize: 128256, hiddenSize: 2048, layers: 16, heads: 32, kvHeads: 8, ffnSize: 8192, sequenceLength: 2048, tiedEmbeddings: true },
      data: { shards: '/shards' },
      storage: { kind: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'run-bucket' },
      chain: { network: 'devnet', netuid: 1 },
      requirements: { gpuCount: 0, uploadMbps: 100, downloadMbps: 100 },
    };
    const file = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(file, JSON.stringify(manifest));
    const seen: string[] = [];
    const t = io({
      env: { TANDEM_STORAGE_ACCESS_KEY_ID: 'k', TANDEM_STORAGE_SECRET_ACCESS_KEY: 's' },
      deps: deps({
        probeStorage: async (target) => {
          seen.push(`${target.endpoint}/${target.bucket}`);
          // 90 Mb/s up (warn: within 80 % of 100), 50 Mb/s down (fail)
          return { endpoint: target.endpoint, streams: 4, bytesPerDirection: 1, uploadBytesPerSecond: 90e6 / 8, downloadBytesPerSecond: 50e6 / 8, latencyMs: 12 };
        },
      }),
    });
    const code = await runDoctor({ json: true, manifest: file }, t.io);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    expect(seen).toEqual(['http://127.0.0.1:9000/run-bucket']);
    expect(report.checks.find((c) => c.id === 'net.upload')!.status).toBe('warn');
    expect(report.checks.find((c) => c.id === 'net.download')!.status).toBe('fail');
    // 1B update ≈ 22.7 MB at 11.25 MB/s ≈ 2 s: well inside 70 s
    expect(report.checks.find((c) => c.id === 'net.deadline')!.status).toBe('pass');
    expect(report.round!.meetsDeadline).toBe(true);
    expect(code).toBe(2);
  });

  it('measures the bucket saved with `tandem storage set` when the environment names none, and says why when its keys are locked', async () => {
    const requirements = path.join(temp.dir, 'req.json');
    fs.writeFileSync(requirements, JSON.stringify({ gpuCount: 0, uploadMbps: 10 }));
    const seen: string[] = [];
    const saved = { endpoint: 'https://abc.r2.cloudflarestorage.com', region: 'auto', bucket: 'my-peer', forcePathStyle: true, accessKeyId: 'WRITEKEY', secretAccessKey: 'w', prefix: 'tandem-probe' };
    const measured = io({
      savedStorage: async () => ({ target: saved, note: null }),
      deps: deps({
        probeStorage: async (target) => {
          seen.push(`${target.endpoint}/${target.bucket} as ${target.accessKeyId}`);
          return { endpoint: target.endpoint, streams: 4, bytesPerDirection: 1, uploadBytesPerSecond: 20e6 / 8, downloadBytesPerSecond: 20e6 / 8, latencyMs: 9 };
        },
      }),
    });
    await runDoctor({ json: true, manifest: requirements }, measured.io);
    expect(seen).toEqual(['https://abc.r2.cloudflarestorage.com/my-peer as WRITEKEY']);
    expect(HardwareReport.parse(JSON.parse(measured.out())).checks.find((c) => c.id === 'net.upload')).toMatchObject({ status: 'pass', measured: '20.0 Mb/s (4 streams)' });

    const locked = io({ savedStorage: async () => ({ target: null, note: 'Storage keys are locked: unlock them in Settings → Storage' }) });
    await runDoctor({ json: true, manifest: requirements }, locked.io);
    const upload = HardwareReport.parse(JSON.parse(locked.out())).checks.find((c) => c.id === 'net.upload')!;
    expect(upload).toMatchObject({ status: 'warn', measured: 'not measured', detail: 'storage: Storage keys are locked: unlock them in Settings → Storage' });
    expect(upload.remediation).toContain('Settings → Storage');
  });

  it.skipIf(!fixturesDir)(`a dual RTX 2070 box fails the 24 GiB GPU run on memory and says why${skippedUnless(fixturesDir !== null, SKIP_MESSAGE)}`, async () => {
    const xml = readFixture('xml', 'telegraf__dual_2070-v13.xml');
    const fake = (async (_cmd: string, args: string[]) =>
      args[0] === '-q' ? { stdout: xml, stderr: '', exitCode: 0 } : { stdout: 'index, uuid, compute_cap\n0, x, 7.5\n1, y, 7.5\n', stderr: '', exitCode: 0 }) as Parameters<typeof detectGpus>[0];
    const t = io({ deps: deps({ detectGpus: () => detectGpus(fake) }) });
    expect(await runDoctor({ json: true, skipNetwork: true }, t.io)).toBe(2);
    const report = HardwareReport.parse(JSON.parse(t.out()));
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['gpu.present']!.status).toBe('pass');
    expect(byId['gpu.vram']).toMatchObject({ status: 'fail', measured: '8.0 GiB' });
    expect(byId['gpu.compute']).toMatchObject({ status: 'fail', measured: '7.5' });
    expect(byId['gpu.driver']!.status).toBe('pass');
    expect(byId['gpu.pcie']!.status).toBe('warn');
    expect(byId['gpu.memory-fit']!.status).toBe('fail');
    expect(report.gpu.gpus).toHaveLength(2);
  });
});
