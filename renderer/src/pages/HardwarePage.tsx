import { useState } from 'react';
import type { Check, RequirementsPreset } from '../../../contract/domains/hardware';
import { Card, EmptyState } from '../components/Card';
import { useClient } from '../client-context';
import { download } from '../download';
import { useStore } from '../store';
import { hardwareSelectors } from '../store/slices/hardware';
import { ChecksTable } from './hardware/ChecksTable';
import { ReadinessProgress } from './hardware/ReadinessProgress';
import { TelemetryCard } from './hardware/TelemetryCard';
import { useHardwareChecks } from './hardware/use-hardware-checks';
import { StatusPill } from '../components/StatusPill';

const PRESETS: Array<{ id: RequirementsPreset; label: string }> = [
  { id: 'default', label: 'A GPU run (1 GPU, 24 GiB)' },
  { id: 'devnet', label: 'Devnet (no GPU needed)' },
  { id: 'covenant-like', label: 'Covenant-like (8 large GPUs)' },
];

/** Can this machine earn? Every readiness check with what was measured, what the run needs, and how to fix a failure. */
export function HardwarePage() {
  const client = useClient();
  const report = useStore(hardwareSelectors.report);
  const run = useStore(hardwareSelectors.run);
  const error = useStore(hardwareSelectors.error);
  const startChecks = useHardwareChecks();
  const [preset, setPreset] = useState<RequirementsPreset>('default');
  const [skipNetwork, setSkipNetwork] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  const runChecks = () => startChecks(preset, skipNetwork);

  const exportReport = async (format: 'json' | 'html') => {
    setExportError(null);
    try {
      const file = await client.request('hardware.export', { format });
      download(file.filename, file.mimeType, file.text);
    } catch (e) {
      setExportError(e instanceof Error ? e.message : String(e));
    }
  };

  const checks: Check[] = hardwareSelectors.visibleChecks(run, report);
  const busy = run !== null;

  return (
    <div className="grid hardware-page">
      <Card title="Readiness check" testId="hardware-readiness">
        <div className="toolbar">
          <label>
            Requirements{' '}
            <select value={preset} onChange={(e) => setPreset(e.target.value as RequirementsPreset)} disabled={busy}>
              {PRESETS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={skipNetwork} onChange={(e) => setSkipNetwork(e.target.checked)} disabled={busy} /> Skip network tests
          </label>
          <button type="button" className="primary" onClick={() => void runChecks()} disabled={busy} aria-busy={busy}>
            {report ? 'Run again' : 'Run checks'}
          </button>
          <button type="button" onClick={() => void exportReport('json')} disabled={!report || busy}>
            Export JSON
          </button>
          <button type="button" onClick={() => void exportReport('html')} disabled={!report || busy}>
            Export HTML
          </button>
        </div>
        <ReadinessProgress run={run} testId="hardware-progress" />
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
        {exportError && (
          <p role="alert" className="error-text">
            {exportError}
          </p>
        )}
        {!busy && report && (
          <p data-testid="hardware-summary">
            <StatusPill status={report.summary.overall} />{' '}
            <span className="muted">
              {report.summary.pass} passed, {report.summary.warn} warnings, {report.summary.fail} failed, {report.summary.skip} skipped — {report.requirementsSource},{' '}
              {new Date(report.generatedAt).toLocaleString()}
            </span>
          </p>
        )}
        {checks.length > 0 ? (
          <ChecksTable checks={checks} />
        ) : (
          !busy && (
            <EmptyState title="No readiness check has run">
              Run the checks to see whether this machine can earn in a run: GPU, memory, disk and bandwidth, each with what was measured, what the run needs and how to
              fix a failure.
            </EmptyState>
          )
        )}
      </Card>
      <TelemetryCard />
    </div>
  );
}
