import type { StorageTestResult } from '../../../../contract/domains/storage';
import { DataTable } from '../../components/DataTable';
import { StatusPill } from '../../components/StatusPill';
import type { StorageSliceState } from '../../store/types';

/** The storage test while it runs (progress, announced politely) and its result: warnings first, then one row per step. */
export function StorageTestResults({ test }: { test: StorageSliceState['storageTest'] }) {
  if (test.running) {
    return (
      <div role="status" aria-live="polite" data-testid="storage-test-progress">
        <progress max={test.progress?.total ?? 1} value={test.progress?.completed ?? 0} aria-label="Storage test progress" /> <span className="muted">{test.progress?.step ?? 'Starting…'}</span>
      </div>
    );
  }
  if (test.error) {
    return (
      <p role="alert" className="error-text">
        The test could not run: {test.error}
      </p>
    );
  }
  return test.result ? <ResultTable result={test.result} /> : null;
}

function ResultTable({ result }: { result: StorageTestResult }) {
  return (
    <div data-testid="storage-test-result">
      {result.warnings.map((warning) => (
        <p key={warning} role="alert" className="banner banner-warn" data-testid="storage-test-warning">
          <strong>Warning:</strong> {warning}
        </p>
      ))}
      <p role="status" className={result.ok ? 'ok-text' : 'error-text'}>
        {result.ok ? `The bucket ${result.bucket} works with both keys.` : `Some steps failed for bucket ${result.bucket}: see what to do below.`}
      </p>
      {result.speed && (
        <dl className="facts" data-testid="storage-speed">
          <dt>Latency</dt>
          <dd>{result.speed.latencyMs.toFixed(1)} ms</dd>
          <dt>Upload</dt>
          <dd>{result.speed.uploadMbps.toFixed(1)} Mb/s</dd>
          <dt>Download</dt>
          <dd>{result.speed.downloadMbps.toFixed(1)} Mb/s</dd>
        </dl>
      )}
      <div className="table-scroll" role="region" aria-label="Storage test steps" tabIndex={0}>
        <DataTable columns={['Result', 'Step', 'Time', 'Details']} label="Storage test">
          {result.steps.map((step) => (
            <tr key={step.id} data-step={step.id} data-status={step.status}>
              <td>
                <StatusPill status={step.status} />
              </td>
              <th scope="row">{step.title}</th>
              <td className="muted storage-time">{step.ms === null ? '–' : `${step.ms.toFixed(0)} ms`}</td>
              <td>{step.detail}</td>
            </tr>
          ))}
        </DataTable>
      </div>
    </div>
  );
}
