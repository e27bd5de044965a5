import type { ReactNode } from 'react';

/** A table in the app's one table style: a header row of column titles, then the caller's rows (`<tr>`s, a row's title cell a `<th scope="row">`). */
export function DataTable(props: { columns: readonly string[]; label?: string; testId?: string; children: ReactNode }) {
  return (
    <table className="checks-table" aria-label={props.label} data-testid={props.testId}>
      <thead>
        <tr>
          {props.columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}
