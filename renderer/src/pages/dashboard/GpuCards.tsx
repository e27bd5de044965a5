import type { GpuSample } from '../../../../contract/domains/hardware';
import { Card, EmptyState } from '../../components/Card';
import { useStore } from '../../store';
import { hardwareSelectors } from '../../store/slices/hardware';
import { useTelemetryStream } from '../../use-telemetry';

const show = (value: number | null, unit: string, digits = 0) => (value === null ? '—' : `${value.toFixed(digits)} ${unit}`);

function Meter({ label, value, max, text }: { label: string; value: number | null; max: number; text: string }) {
  return (
    <div className="meter">
      <span className="meter-label">{label}</span>
      <meter min={0} max={max} value={value ?? 0} aria-label={label} aria-valuetext={text} />
      <span className="meter-value">{text}</span>
    </div>
  );
}

function GpuCard({ gpu, simulated }: { gpu: GpuSample; simulated: boolean }) {
  const memoryPct = gpu.memoryUsedMiB !== null && gpu.memoryTotalMiB ? (100 * gpu.memoryUsedMiB) / gpu.memoryTotalMiB : null;
  return (
    <Card title={simulated ? `GPU ${gpu.index} (simulated)` : `GPU ${gpu.index}`} testId={`gpu-card-${gpu.index}`}>
      <Meter label="Utilization" value={gpu.utilizationPct} max={100} text={show(gpu.utilizationPct, '%')} />
      <Meter label="Temperature" value={gpu.temperatureC} max={100} text={show(gpu.temperatureC, '°C')} />
      <Meter label="Power" value={gpu.powerW} max={Math.max(100, gpu.powerW ?? 0)} text={show(gpu.powerW, 'W', 1)} />
      <Meter label="VRAM" value={memoryPct} max={100} text={`${show(gpu.memoryUsedMiB, 'MiB')} of ${show(gpu.memoryTotalMiB, 'MiB')}`} />
    </Card>
  );
}

/** One card per GPU, live while the Dashboard is shown; without a GPU, says what trains instead. */
export function GpuCards() {
  useTelemetryStream();
  const frame = useStore(hardwareSelectors.telemetry);
  const status = useStore(hardwareSelectors.telemetryStatus);
  if (frame && frame.gpus.length > 0) return frame.gpus.map((gpu) => <GpuCard key={gpu.index} gpu={gpu} simulated={frame.source === 'simulated'} />);
  return (
    <Card title="GPUs" testId="gpu-empty">
      <EmptyState title="No GPU telemetry">
        {status?.running ? 'No NVIDIA GPU has reported a sample.' : (status?.detail ?? 'No NVIDIA GPU was found.')} The devnet trains on the CPU, so this machine can still take part; the Hardware page says what a GPU run needs.
      </EmptyState>
    </Card>
  );
}
