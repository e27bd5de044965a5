import type { HardwareRunProgress } from '../../store/types';

/** The readiness check while it runs: a progress bar and the step in hand, announced politely. */
export function ReadinessProgress({ run, testId }: { run: HardwareRunProgress | null; testId?: string }) {
  if (!run) return null;
  return (
    <div role="status" aria-live="polite" data-testid={testId}>
      <progress max={Math.max(1, run.total)} value={run.completed} aria-label="Readiness check progress" /> <span className="muted">{run.step}</span>
    </div>
  );
}
