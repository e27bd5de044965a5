import { describe, expect, it } from 'vitest';
import { detectGpus } from '../../../main/services/hardware/detect';
import { nvidiaGpuAvailability } from '../../../renderer/src/pages/settings/nvidia-gpu';
import { skippedUnless } from '../../support/skip-note';
import { fixturesDir, readFixture, SKIP_MESSAGE } from '../hardware/fixtures';

const frame = (source: 'nvml' | 'nvidia-smi' | 'simulated', gpus: number) => ({
  at: 0,
  source,
  gpus: Array.from({ length: gpus }, (_, index) => ({ index, utilizationPct: 0, memoryUtilizationPct: 0, temperatureC: 40, powerW: 50, memoryUsedMiB: 0, memoryTotalMiB: 8192 })),
});

/** Whether Settings → Train on may offer the GPU: from the hardware module's own detection and telemetry. */
describe('NVIDIA GPU availability for Train on', () => {
  it('is absent, with the diagnosis, when the readiness check found nvidia-smi missing', async () => {
    const detection = await detectGpus(async () => ({ stdout: '', stderr: 'spawn nvidia-smi ENOENT', exitCode: null, errorCode: 'ENOENT' }));
    const found = nvidiaGpuAvailability(detection, frame('nvml', 1), null);
    // The report is the word that counts, even beside a stray frame.
    expect(found).toEqual({ kind: 'absent', reason: 'the hardware check found no NVIDIA GPU (nvidia-smi is not installed)' });
  });

  it.skipIf(!fixturesDir)(`is present, with the count, when the readiness check found GPUs${skippedUnless(fixturesDir !== null, SKIP_MESSAGE)}`, async () => {
    const xml = readFixture('xml', 'telegraf__dual_2070-v13.xml');
    const detection = await detectGpus(async (_command, args) => (args.includes('-x') ? { stdout: xml, stderr: '', exitCode: 0 } : { stdout: '', stderr: 'unsupported', exitCode: 2 }));
    expect(nvidiaGpuAvailability(detection, null, null)).toEqual({ kind: 'present', count: 2 });
  });

  it('before any check: real telemetry frames show a GPU, a simulated one does not, a failed source says why', () => {
    expect(nvidiaGpuAvailability(null, frame('nvidia-smi', 2), null)).toEqual({ kind: 'present', count: 2 });
    expect(nvidiaGpuAvailability(null, frame('simulated', 1), null)).toEqual({ kind: 'unknown' });
    expect(nvidiaGpuAvailability(null, null, { source: 'none', running: false, detail: 'nvidia-smi is not installed: no GPU telemetry' })).toEqual({
      kind: 'absent',
      reason: 'no NVIDIA GPU seen: nvidia-smi is not installed: no GPU telemetry',
    });
    expect(nvidiaGpuAvailability(null, null, { source: 'nvidia-smi', running: true, detail: 'one nvidia-smi process' })).toEqual({ kind: 'unknown' });
  });
});
