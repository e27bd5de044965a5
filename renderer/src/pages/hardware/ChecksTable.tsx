import type { Check } from '../../../../contract/domains/hardware';
import { DataTable } from '../../components/DataTable';
import { StatusPill } from '../../components/StatusPill';

/** One row per check: status, what was measured, what the run requires, and what to do. */
export function ChecksTable(props: { checks: Check[] }) {
  return (
    <DataTable columns={['Status', 'Check', 'Measured', 'Required', 'What to do']} label="Readiness checks" testId="hardware-checks">
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
    </DataTable>
  );
}
