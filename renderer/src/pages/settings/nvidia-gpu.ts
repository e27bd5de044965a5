import type { GpuDetection, TelemetryFrame, TelemetryStatus } from '../../../../contract/domains/hardware';

/** Whether this machine has an NVIDIA GPU to train on, as far as the hardware module has said. */
export type NvidiaGpuAvailability = { kind: 'present'; count: number } | { kind: 'absent'; reason: string } | { kind: 'unknown' };

/**
 * The readiness report's GPU detection is the word that counts (nvidia-smi's
 * own, with its diagnosis); before any report, live telemetry frames from
 * NVML or nvidia-smi show a GPU, and a telemetry source that could not start
 * shows none. A simulated GPU is not one to train on.
 */
export function nvidiaGpuAvailability(detection: GpuDetection | null, frame: TelemetryFrame | null, status: TelemetryStatus | null): NvidiaGpuAvailability {
  if (detection) {
    const count = detection.gpus.length;
    if (count > 0) return { kind: 'present', count };
    const why = detection.diagnoses.find((d) => d.severity === 'error') ?? detection.diagnoses[0];
    return { kind: 'absent', reason: `the hardware check found no NVIDIA GPU${why ? ` (${why.title})` : ''}` };
  }
  if (frame && frame.source !== 'simulated' && frame.source !== 'none' && frame.gpus.length > 0) return { kind: 'present', count: frame.gpus.length };
  if (status && status.source === 'none' && !status.running && status.detail) return { kind: 'absent', reason: `no NVIDIA GPU seen: ${status.detail}` };
  return { kind: 'unknown' };
}
