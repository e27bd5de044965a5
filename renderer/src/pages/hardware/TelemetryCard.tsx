import type { TelemetrySource } from '../../../../contract';
import { Card, EmptyState } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { useTelemetryStream } from '../../use-telemetry';
import { useStore } from '../../store';
import { hardwareSelectors } from '../../store/slices/hardware';

const show = (value: number | null, unit: string, digits = 0) => (value === null ? '—' : `${value.toFixed(digits)} ${unit}`);

const TELEMETRY_SOURCE_LABEL: Record<TelemetrySource, string> = {
  nvml: 'NVML',
  'nvidia-smi': 'nvidia-smi (one long-running process)',
  simulated: 'a simulated GPU (demo), not real hardware',
  none: 'none',
};

/** Live GPU utilization, temperature, power and memory, once a second while this page is open. */
export function TelemetryCard() {
  const frame = useStore(hardwareSelectors.telemetry);
  const status = useStore(hardwareSelectors.telemetryStatus);
  useTelemetryStream();

  return (
    <Card title="Live GPU telemetry" testId="hardware-telemetry">
      {frame && frame.gpus.length > 0 ? (
        <DataTable columns={['GPU', 'Utilization', 'Temperature', 'Power', 'Memory']} label="GPU telemetry">
          {frame.gpus.map((g) => (
            <tr key={g.index}>
              <th scope="row">{g.index}</th>
              <td>{show(g.utilizationPct, '%')}</td>
              <td>{show(g.temperatureC, '°C')}</td>
              <td>{show(g.powerW, 'W', 1)}</td>
              <td>
                {show(g.memoryUsedMiB, 'MiB')} / {show(g.memoryTotalMiB, 'MiB')}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <EmptyState title="No GPU telemetry">{status?.detail ?? 'Samples appear here once a second while an NVIDIA GPU is present.'}</EmptyState>
      )}
      {frame && <p className="muted">Source: {TELEMETRY_SOURCE_LABEL[frame.source]}</p>}
    </Card>
  );
}
