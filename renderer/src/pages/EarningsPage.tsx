import { useCallback, useEffect, useState } from 'react';
import type { EarningsReport } from '../../../contract';
import { Card, EmptyState } from '../components/Card';
import { DataTable } from '../components/DataTable';
import { useClient } from '../client-context';
import { formatClock, formatTaoExact as formatTao } from '../format';
import { useStore } from '../store';
import { roundSelectors } from '../store/slices/round';
import { formatMoney } from '../tao-value';
import { CostsCard, formatEnergy } from './earnings/CostsCard';

function download(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}

const yesNo = (v: boolean) => (v ? '✓' : '—');

/** Per round: what happened and what it paid, every zero explained, reconciled with the chain. */
export function EarningsPage() {
  const client = useClient();
  const completed = useStore((s) => roundSelectors.round(s)?.completedRounds ?? 0);
  const [report, setReport] = useState<EarningsReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    client.request('earnings.report', { limit: 500 }).then(setReport, (e: unknown) => setError(String(e)));
  }, [client]);
  // Refresh whenever a round completes.
  useEffect(load, [load, completed]);

  const exportCsv = async () => {
    const file = await client.request('earnings.exportCsv', {});
    download(file.filename, file.csv);
  };

  return (
    <div className="grid earnings-page">
      <Card title="Totals" testId="earnings-totals">
        {report === null ? (
          <p className="muted">{error ?? 'Loading…'}</p>
        ) : (
          <>
            <dl className="facts">
              <dt>Earned (ledger)</dt>
              <dd data-testid="earnings-ledger-total">
                {formatTao(report.ledgerTotal)}
                {report.costs.earnedValue !== null && report.costs.earnedValue > 0 && ` (about ${formatMoney(report.costs.earnedValue, report.costs.currency)})`}
                {report.ledgerTotal === '0' && ' (nothing earned yet)'}
              </dd>
              <dt>Paid (chain)</dt>
              <dd>{report.chainTotal === null ? 'not read yet' : formatTao(report.chainTotal)}</dd>
              <dt>Reconciled</dt>
              <dd data-testid="earnings-reconciled">{report.reconciled === null ? '—' : report.reconciled ? 'Yes: the ledger matches what the chain paid' : 'No: the chain paid for rounds this ledger does not hold'}</dd>
              <dt>Awaiting payout</dt>
              <dd>{report.pendingRounds} rounds (paid at the next epoch)</dd>
            </dl>
            <p>
              <button type="button" onClick={() => void exportCsv()} disabled={report.rows.length === 0} data-testid="earnings-export">
                Export CSV
              </button>
            </p>
          </>
        )}
      </Card>
      <CostsCard costs={report?.costs ?? null} onSaved={load} />
      <Card title="Rounds" testId="earnings-rounds" wide>
        {report && report.rows.length === 0 ? (
          <EmptyState title="No rounds yet">Join the run on the Dashboard; each round appears here with what it earned, or why it earned nothing.</EmptyState>
        ) : (
          <DataTable columns={['Window', 'Time', 'Trained', 'Uploaded', 'Weight', 'Reward', 'Energy', 'Cost', 'Why zero']}>
            {[...(report?.rows ?? [])].reverse().map((r) => (
              <tr key={r.window} data-testid="earnings-row">
                <td>{r.window}</td>
                <td>{formatClock(r.at)}</td>
                <td>{yesNo(r.trained)}</td>
                <td>{yesNo(r.uploaded)}</td>
                <td>{r.weight === null ? '—' : r.weight.toFixed(3)}</td>
                <td>{r.reward === null ? <span className="muted">pending</span> : formatTao(r.reward)}</td>
                <td data-testid="earnings-energy" title={r.energySource ? `measured: ${r.energySource}` : undefined}>{r.energyWh === null ? '—' : formatEnergy(r.energyWh)}</td>
                <td data-testid="earnings-cost">{r.cost === null || !report ? '—' : formatMoney(r.cost, report.costs.currency)}</td>
                <td className="muted">{r.reason ?? ''}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </div>
  );
}
