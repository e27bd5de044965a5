import { useStore } from '../store';
import { operationsSelectors } from '../store/slices/operations';

/** How hot the trainer's GPUs run against their targets, and whether the guard is holding it back. */
export function ThrottleIndicator() {
  const guard = useStore(operationsSelectors.guard);
  if (!guard || (guard.source === 'none' && !guard.throttled)) return null;
  const readings = guard.gpus.filter((g) => g.selected);
  return (
    <div className={`throttle ${guard.throttled ? 'throttle-on' : 'throttle-off'}`} data-testid="throttle-indicator" role="status" aria-live="polite">
      {guard.throttled ? (
        <p>
          <span className="phase phase-warn" data-testid="throttle-state">
            Throttled · level {guard.level}
          </span>{' '}
          <span data-testid="throttle-reason">{guard.reason}</span>
          <br />
          <span className="muted">
            {guard.pauseMs} ms pause between steps{guard.microBatchDivisor > 1 ? `, micro-batches split ÷${guard.microBatchDivisor}` : ''}; the round still completes.
          </span>
        </p>
      ) : (
        <p>
          <span className="phase phase-busy" data-testid="throttle-state">
            Full speed
          </span>{' '}
          <span className="muted">{guard.enabled ? 'under the GPU targets' : 'thermal guard off'}</span>
        </p>
      )}
      {readings.length > 0 && (
        <ul className="gpu-readings">
          {readings.map((g) => (
            <li key={g.index} className={g.over ? 'error-text' : undefined}>
              GPU {g.index}: {g.temperatureC === null ? '—' : `${Math.round(g.temperatureC)} °C`} / {g.targetTempC} °C
              {g.powerW !== null && ` · ${Math.round(g.powerW)} W${g.targetPowerW !== null ? ` / ${g.targetPowerW} W` : ''}`}
            </li>
          ))}
        </ul>
      )}
      {guard.source === 'simulated' && <p className="muted">Simulated GPU (demo).</p>}
      {guard.powerCap.status !== 'off' && <p className={guard.powerCap.status === 'failed' ? 'error-text' : 'muted'}>{guard.powerCap.detail}</p>}
    </div>
  );
}
