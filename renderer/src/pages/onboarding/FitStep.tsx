import { useCallback, useEffect, useState } from 'react';
import { FIT_PART_WORDS, formatFitFigure, type FitProgress, type FitReport } from '../../../../contract/domains/fit';
import { useClient } from '../../client-context';
import { DataTable } from '../../components/DataTable';
import { StatusPill, type Outcome } from '../../components/StatusPill';

const OUTCOME_PILL: Record<FitReport['outcome'], Outcome> = { 'will-earn': 'pass', 'will-earn-less': 'warn', 'cannot-keep-up': 'fail' };


/**
 * "Will this machine earn?": before a wallet is registered (which costs a
 * burn), the fit test trains a few real steps of the run's model, times an
 * update's upload and gather, and answers with the numbers behind it.
 */
export function FitStep() {
  const client = useClient();
  const [report, setReport] = useState<FitReport | null>(null);
  const [running, setRunning] = useState<Extract<FitProgress, { phase: 'running' }> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void client
      .request('fit.last', {})
      .then((last) => last && setReport(last))
      .catch(() => undefined);
    return client.on('fit.progress', (progress) => {
      if (progress.phase === 'running') setRunning(progress);
      else {
        setRunning(null);
        if (progress.phase === 'finished') setReport(progress.report);
        else setError(progress.message);
      }
    });
  }, [client]);

  const start = useCallback(async () => {
    setError(null);
    setRunning({ phase: 'running', part: 'memory', done: 0, of: 5 });
    try {
      await client.request('fit.start', {});
    } catch (e) {
      setRunning(null);
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [client]);

  return (
    <>
      <p>
        Before you pay to register, Tandem trains a few real steps of the run&apos;s model here, puts one real update into your bucket and gathers it back, and says whether
        this machine can keep up with the run&apos;s windows. On the devnet, whose peers and validator run on this computer too, it is a short trial of the devnet itself. It
        takes under two minutes.
      </p>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => void start()} disabled={running !== null} aria-busy={running !== null}>
          {report ? 'Test again' : 'Test this machine'}
        </button>
      </div>
      {running && (
        <div role="status" aria-live="polite" data-testid="fit-progress">
          <progress max={running.of} value={running.done} aria-label="Fit test progress" /> <span className="muted">{FIT_PART_WORDS[running.part]}…</span>
        </div>
      )}
      {error && (
        <p role="alert" className="error-text">
          The fit test could not finish: {error}
        </p>
      )}
      {!running && report && <FitAnswer report={report} />}
    </>
  );
}

function FitAnswer({ report }: { report: FitReport }) {
  return (
    <div data-testid="fit-answer">
      <p>
        <StatusPill status={OUTCOME_PILL[report.outcome]} /> <strong data-testid="fit-headline">{report.headline.charAt(0).toUpperCase() + report.headline.slice(1)}.</strong>
      </p>
      {report.figures.length > 0 && (
        <DataTable columns={['What', 'This machine', 'The run allows', '']} label="Fit test figures" testId="fit-figures">
          {report.figures.map((f) => (
            <tr key={f.name}>
              <th scope="row">{f.label}</th>
              <td>{formatFitFigure(f.predicted, f.unit)}</td>
              <td>{formatFitFigure(f.limit, f.unit)}</td>
              <td>{f.ok === null ? null : <StatusPill status={f.ok ? 'pass' : 'fail'} />}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <p className="muted">
        {report.runName} on {report.network}
        {report.secondsPerInnerStep !== null && `, ${formatFitFigure(report.secondsPerInnerStep, 'seconds')} per inner step on ${report.trainedOn}`}
        {report.payloadBytes !== null && `, ${formatFitFigure(report.payloadBytes, 'bytes')} per update`}
        {report.peers !== null && `, ${report.peers} peers on the subnet`}
        {report.shareOfMedian !== null && `; expected share of a window's work against the median peer: ${Math.round(report.shareOfMedian * 100)} %`}. Measured{' '}
        {new Date(report.measuredAt).toLocaleString()}.
      </p>
      {report.advice.length > 0 && (
        <>
          <h3>What to change</h3>
          <ul>
            {report.advice.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </>
      )}
      {report.notes.length > 0 && (
        <ul className="muted">
          {report.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
