import { describe, expect, it } from 'vitest';
import type { GpuDetection } from '../../../contract/domains/hardware';
import { parseNvidiaSmiOutput } from '../../../main/services/hardware/nvidia-smi';
import { parseQueryGpuCsv } from '../../../main/services/hardware/nvidia-smi-csv';
import { diagnoseFailure } from '../../../main/services/hardware/nvidia-smi-failures';
import { parseNvidiaSmiQuery } from '../../../main/services/hardware/nvidia-smi-query-text';
import { parseNvidiaSmiTable } from '../../../main/services/hardware/nvidia-smi-table';
import { skippedUnless } from '../../support/skip-note';
import { captureSections, fixtureFiles, fixturesDir, readFixture, SKIP_MESSAGE } from './fixtures';

/** A suite of the shared fixtures: skipped without them, the reason in its title. */
const run = (title: string, body: () => void) => describe.skipIf(!fixturesDir)(`${title}${skippedUnless(fixturesDir !== null, SKIP_MESSAGE)}`, body);

const parse = (stdout: string, exitCode: number | null = 0): GpuDetection => parseNvidiaSmiOutput({ stdout, stderr: '', exitCode });

// Expected values read off the files by eye (product_name, fb_memory_usage/total), not from the parser.
const XML: Record<string, { names: string[]; mib: number; diagnoses?: string[] }> = {
  'telegraf__3090-v13.xml': { names: ['NVIDIA GeForce RTX 3090'], mib: 24576 },
  // attached_gpus says 4 but the document describes one GPU: a partial document, named.
  'telegraf__a100-sxm4-v12.xml': { names: ['NVIDIA A100-SXM4-80GB'], mib: 81920, diagnoses: ['mig-enabled', 'partial-document'] },
  'telegraf__a10g.xml': { names: ['NVIDIA A10G'], mib: 23028 },
  'telegraf__dual_2070-v13.xml': { names: ['NVIDIA GeForce RTX 2070', 'NVIDIA GeForce RTX 2070'], mib: 8192 },
  'telegraf__dual_2080-v13.xml': { names: ['NVIDIA GeForce RTX 2080', 'NVIDIA GeForce RTX 2080'], mib: 8192 },
  'telegraf__gt-1030.xml': { names: ['NVIDIA GeForce GT 1030'], mib: 1998 },
  'telegraf__gtx-1070-ti.xml': { names: ['GeForce GTX 1070 Ti'], mib: 4096 },
  'telegraf__gtx-1660-ti.xml': { names: ['Graphics Device'], mib: 5912, diagnoses: ['unknown-board-name'] },
  'telegraf__quadro-p2000-v12.xml': { names: ['Quadro P2000'], mib: 5120 },
  'telegraf__rtx-3060-v12.xml': { names: ['NVIDIA GeForce RTX 3060'], mib: 12288 },
  'telegraf__rtx-3080-v12.xml': { names: ['NVIDIA GeForce RTX 3080'], mib: 10240 },
  'telegraf__rtx-3080-v13.xml': { names: ['NVIDIA GeForce RTX 3080'], mib: 10240 },
  'telegraf__rtx-3090-v12.xml': { names: ['NVIDIA GeForce RTX 3090'], mib: 24576 },
  'telegraf__rtx-4000-sff-ada-v13.xml': { names: ['NVIDIA RTX 4000 SFF Ada Generation'], mib: 20475 },
  'telegraf__tesla-t4.xml': { names: ['Tesla T4'], mib: 15360 },
  'telegraf__tesla_p4.xml': { names: ['GRID P4-1Q'], mib: 1024, diagnoses: ['vgpu-guest'] },
};

// From each capture's `-L` line and its `-q` "FB Memory Usage / Total".
const CAPTURES: Record<string, { name: string; mib: number; mig: number }> = {
  'nvidia_gpu_exporter__linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05.txt': { name: 'NVIDIA GeForce RTX 2080 SUPER', mib: 8192, mig: 0 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt': { name: 'NVIDIA GeForce RTX 4080 SUPER', mib: 16376, mig: 0 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt': { name: 'NVIDIA H100 80GB HBM3', mib: 81559, mig: 0 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt': { name: 'NVIDIA H100 80GB HBM3', mib: 81559, mig: 4 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-h200-mig__590.48.01.txt': { name: 'NVIDIA H200', mib: 143771, mig: 5 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-h200__590.48.01.txt': { name: 'NVIDIA H200', mib: 143771, mig: 0 },
  'nvidia_gpu_exporter__linux-x86_64__nvidia-l40s__595.80.txt': { name: 'NVIDIA L40S', mib: 46068, mig: 0 },
  'nvidia_gpu_exporter__windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt': { name: 'NVIDIA GeForce RTX 2080 SUPER', mib: 8192, mig: 0 },
};

const ERROR_CODES: Record<string, string> = {
  'driver-not-loaded.stdout.txt': 'driver-not-loaded',
  'nvml-driver-library-mismatch.stdout.txt': 'driver-library-mismatch',
  'nvml-driver-library-mismatch-newer-driver.stdout.txt': 'driver-library-mismatch',
  'no-devices-found.stdout.txt': 'no-devices',
  'nvml-library-not-found.stdout.txt': 'nvml-library-missing',
  'nvml-unknown-error.stdout.txt': 'nvml-unknown-error',
};

run('nvidia-smi -q -x fixtures', () => {
  it('knows every XML fixture (a new one must get an expectation here)', () => {
    expect(fixtureFiles('xml')).toEqual(Object.keys(XML).sort());
  });

  for (const [file, want] of Object.entries(XML)) {
    it(`${file}: ${want.names.length} GPU(s), names and memory`, () => {
      const result = parse(readFixture('xml', file));
      expect(result.source).toBe('nvidia-smi-xml');
      expect(result.gpus.map((g) => g.name)).toEqual(want.names);
      for (const gpu of result.gpus) expect(gpu.vramTotalMiB).toBe(want.mib);
      expect(result.diagnoses.map((d) => d.code).sort()).toEqual((want.diagnoses ?? []).sort());
    });
  }

  it('reads driver, CUDA, PCIe, power limit, persistence and MIG from a v13 dual-GPU document', () => {
    const result = parse(readFixture('xml', 'telegraf__dual_2070-v13.xml'));
    expect(result.driverVersion).toBe('590.44.01');
    expect(result.cudaVersion).toBe('13.1');
    const gpu = result.gpus[0]!;
    expect(gpu.uuid).toMatch(/^GPU-/);
    expect(gpu.pcieWidth).toBe(8);
    expect(gpu.pcieWidthMax).toBe(16);
    expect(gpu.pcieGenerationMax).toBe(3);
    expect(gpu.powerLimitW).toBe(175);
    expect(gpu.persistenceMode).toBe('enabled');
    expect(gpu.migMode).toBeNull();
    expect(gpu.computeCapability).toBe('7.5');
    expect(gpu.computeCapabilitySource).toBe('inferred');
    expect(result.gpus.map((g) => g.index)).toEqual([0, 1]);
  });

  it('reads MIG instances and an older power_readings block', () => {
    const a100 = parse(readFixture('xml', 'telegraf__a100-sxm4-v12.xml'));
    expect(a100.attachedGpus).toBe(4);
    expect(a100.gpus[0]!.migMode).toBe('enabled');
    expect(a100.gpus[0]!.migDevices.map((m) => m.memoryTotalMiB)).toEqual([19968, 19968, 19968, 19968]);
    const t4 = parse(readFixture('xml', 'telegraf__tesla-t4.xml'));
    expect(t4.gpus[0]!.powerLimitW).toBe(70);
    expect(t4.gpus[0]!.virtualizationMode).toBe('Pass-Through');
  });
});

run('nvidia_gpu_exporter captures', () => {
  it('knows every capture', () => {
    expect(fixtureFiles('captures')).toEqual(Object.keys(CAPTURES).sort());
  });

  for (const [file, want] of Object.entries(CAPTURES)) {
    it(`${file}: -q (idle and load), -L, default table and query-gpu CSV agree`, () => {
      const sections = captureSections(readFixture('captures', file));
      for (const phase of ['idle', 'load']) {
        const q = parseNvidiaSmiQuery(sections.get(`${phase} :: query (-q)`)!);
        expect(q.gpus).toHaveLength(1);
        expect(q.gpus[0]!.name).toBe(want.name);
        expect(q.gpus[0]!.vramTotalMiB).toBe(want.mib);
        expect(q.gpus[0]!.migDevices).toHaveLength(want.mig);
        expect(q.gpus[0]!.migMode === 'enabled').toBe(want.mig > 0);
        expect(q.driverVersion).toMatch(/^\d+\.\d+(\.\d+)?$/);

        const table = parseNvidiaSmiTable(sections.get(`${phase} :: nvidia-smi (default table)`)!);
        expect(table.gpus).toHaveLength(1);
        expect(want.name.startsWith(table.gpus[0]!.name.replace(/\.\.\.$/, ''))).toBe(true);

        const csv = parseQueryGpuCsv(sections.get(`${phase} :: query-gpu (csv, what the exporter parses)`)!);
        expect(csv.gpus.map((g) => g.name)).toEqual([want.name]);
        expect(csv.gpus[0]!.computeCapabilitySource).toBe('reported');
        // The reported capability matches what the board name implies.
        expect(csv.gpus[0]!.computeCapability).toBe(q.gpus[0]!.computeCapability);
      }
      const list = parse(sections.get('capabilities :: list (-L)')!);
      expect(list.gpus.map((g) => g.name)).toEqual([want.name]);
      expect(list.gpus[0]!.migDevices).toHaveLength(want.mig);
    });
  }

  it('prefers the KMD version over the deprecated Driver Version line (Windows 610)', () => {
    const sections = captureSections(readFixture('captures', 'nvidia_gpu_exporter__windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt'));
    const q = parseNvidiaSmiQuery(sections.get('idle :: query (-q)')!);
    expect(q.driverVersion).toBe('610.62');
    expect(q.cudaVersion).toBe('13.3');
  });
});

run('text and CSV fixtures', () => {
  it('8 × A100 from an Azure `nvidia-smi -q`', () => {
    const result = parse(readFixture('text', 'azhpc-diagnostics__nvidia-smi-q.out'));
    expect(result.gpus).toHaveLength(8);
    expect(new Set(result.gpus.map((g) => g.name))).toEqual(new Set(['A100-SXM4-40GB']));
    expect(result.attachedGpus).toBe(8);
    expect(result.gpus.every((g) => g.vramTotalMiB === 40536 && g.powerLimitW === 400)).toBe(true);
  });

  it('8 × V100 from a default table with a trailing infoROM warning', () => {
    const result = parse(readFixture('text', 'azhpc-diagnostics__nvidia-smi-inforom.out'));
    expect(result.gpus).toHaveLength(8);
    expect(result.gpus.every((g) => g.vramTotalMiB === 32510)).toBe(true);
    expect(result.diagnoses.map((d) => d.code)).toEqual(['inforom-warning']);
  });

  it('every -L listing names its GPU', () => {
    const listings = fixtureFiles('text').filter((f) => f.endsWith('list-L.txt'));
    // The loop asserts nothing over an empty folder: 8 listings when this was written.
    expect(listings.length).toBeGreaterThanOrEqual(8);
    for (const file of listings) {
      const result = parse(readFixture('text', file));
      expect(result.gpus, file).toHaveLength(1);
      expect(result.gpus[0]!.name, file).toMatch(/^NVIDIA /);
    }
  });

  it('every file in text/ and csv/ yields GPUs or a named diagnosis, and none throws', () => {
    // 11 and 17 files when this was written.
    expect(fixtureFiles('text').length).toBeGreaterThanOrEqual(11);
    expect(fixtureFiles('csv').length).toBeGreaterThanOrEqual(17);
    for (const sub of ['text', 'csv']) {
      for (const file of fixtureFiles(sub)) {
        const result = parse(readFixture(sub, file));
        expect(result.gpus.length > 0 || result.diagnoses.length > 0, `${sub}/${file}`).toBe(true);
      }
    }
  });

  it('idle query-gpu CSVs give one GPU with memory and a reported compute capability', () => {
    const idle = fixtureFiles('csv').filter((f) => f.includes('idle__query-gpu'));
    expect(idle.length).toBeGreaterThanOrEqual(8);
    for (const file of idle) {
      const result = parseQueryGpuCsv(readFixture('csv', file));
      expect(result.gpus, file).toHaveLength(1);
      expect(result.gpus[0]!.vramTotalMiB, file).toBeGreaterThan(1000);
      expect(result.gpus[0]!.computeCapability, file).toMatch(/^\d+\.\d$/);
    }
  });
});

run('failure output (errors/errors.json)', () => {
  const manifest = fixturesDir ? (JSON.parse(readFixture('errors', 'errors.json')) as { cases: Array<{ file: string | null; exitCode: number | null; expectGpus: number }> }) : { cases: [] };

  it('covers every case of the manifest', () => {
    expect(manifest.cases.filter((c) => c.file).map((c) => c.file).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  for (const c of manifest.cases) {
    it(`${c.file ?? 'missing binary'} → no GPU and a named diagnosis`, () => {
      const result = c.file
        ? parseNvidiaSmiOutput({ stdout: readFixture('errors', c.file), stderr: '', exitCode: c.exitCode ?? 255 })
        : parseNvidiaSmiOutput({ stdout: '', stderr: 'spawn nvidia-smi ENOENT', exitCode: null, errorCode: 'ENOENT' });
      expect(result.gpus).toHaveLength(c.expectGpus);
      expect(result.diagnoses).toHaveLength(1);
      expect(result.diagnoses[0]!.code).toBe(c.file ? ERROR_CODES[c.file] : 'nvidia-smi-missing');
      expect(result.diagnoses[0]!.remediation.length).toBeGreaterThan(20);
    });
  }

  it('the same text on stderr is diagnosed too', () => {
    const d = diagnoseFailure({ stdout: '', stderr: readFixture('errors', 'driver-not-loaded.stdout.txt'), exitCode: 9 });
    expect(d?.code).toBe('driver-not-loaded');
  });

  it('names the NVML version of a newer driver mismatch', () => {
    const d = diagnoseFailure({ stdout: readFixture('errors', 'nvml-driver-library-mismatch-newer-driver.stdout.txt'), stderr: '', exitCode: 18 });
    expect(d?.detail).toContain('580.173');
  });
});

describe('robustness without fixtures', () => {
  it('never throws on junk, truncated XML or empty output', () => {
    for (const junk of ['', '\u0000\u0001', '<nvidia_smi_log><gpu id="x"><product_name>', '<?xml version="1.0"?><nvidia_smi_log></nvidia_smi_log>', 'GPU 0000:00:00.0\n  :', '| NVIDIA-SMI |']) {
      const result = parse(junk, 0);
      expect(result.gpus.length > 0 || result.diagnoses.length > 0).toBe(true);
    }
  });

  it('a timed-out nvidia-smi is named as such', () => {
    expect(diagnoseFailure({ stdout: '', stderr: '', exitCode: null, errorCode: 'ETIMEDOUT' })?.code).toBe('nvidia-smi-timeout');
  });
});
