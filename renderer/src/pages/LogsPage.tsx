import { useMemo } from 'react';
import { LogLevel } from '../../../contract';
import { EmptyState } from '../components/Card';
import { formatClock } from '../format';
import { useStore } from '../store';
import { logsSelectors } from '../store/slices/logs';

/** Live tail of the core's log, filtered by level and text. */
export function LogsPage() {
  const lines = useStore(logsSelectors.lines);
  const filter = useStore(logsSelectors.filter);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const visible = useMemo(() => logsSelectors.visible(lines, filter), [lines, filter]);

  return (
    <div className="logs-page">
      <div className="toolbar" role="search">
        <label>
          Level{' '}
          <select value={filter.minLevel} onChange={(e) => setLogFilter({ minLevel: LogLevel.parse(e.target.value) })}>
            {LogLevel.options.map((level) => (
              <option key={level} value={level}>
                {level} and above
              </option>
            ))}
          </select>
        </label>
        <label>
          Search <input type="search" value={filter.search} onChange={(e) => setLogFilter({ search: e.target.value })} placeholder="text or source" />
        </label>
        <span className="muted" aria-live="polite">
          {visible.length} of {lines.length} lines
        </span>
      </div>
      {visible.length === 0 ? (
        <EmptyState title={lines.length === 0 ? 'No log lines yet' : 'Nothing matches the filter'}>
          {lines.length === 0 ? 'Lines appear here live as the core writes them.' : 'Lower the level or clear the search.'}
        </EmptyState>
      ) : (
        <ol className="log-lines" data-testid="log-lines" tabIndex={0} aria-label="Log lines">
          {visible.map((line) => (
            <li key={line.seq} className={`log-line log-${line.level}`}>
              <time>{formatClock(line.time)}</time> <span className="log-level">{line.level}</span> <span className="log-source">{line.source}</span>{' '}
              {line.message}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
