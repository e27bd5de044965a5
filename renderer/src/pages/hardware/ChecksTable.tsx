import type { Check } from '../../../../contract/domains/hardware';
import { StatusPill } from '../../components/StatusPill';

/** One row per check: status, what was measured, what the run requires, and what to do. */
export function ChecksTable(props: { checks: Check[] }) {
  return (
    <table className="checks-table" data-testid="hardware-checks" aria-label="Readiness checks">
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Check</th>
          <th scope="col">Measured</th>
          <th scope="col">Required</th>
          <th scope="col">What to do</th>
        </tr>
      </thead>
      <tbody>
        {props.checks.map((check) => (
          <tr key={check.id} data-check={check.id} data-status={check.status}>
            <td>
              <StatusPill status={check.status} />
            </td>
            <th scope="row">
              {check.title}
              <br />
              <code>{check.id}</code>
            </th>
            <td>{check.measured}</td>
            <td className="muted">{check.required}</td>
            <td>
              {check.remediation}
              {check.detail && <div className="muted">{check.detail}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
