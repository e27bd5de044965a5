import { useEffect, useMemo, useRef, useState } from 'react';
import { LogLevel } from '../../../contract';
import { EmptyState } from '../components/Card';
import { formatClock } from '../format';
import { useStore } from '../store';
import { logsSelectors } from '../store/slices/logs';
import { SupportBundleButton } from './logs/SupportBundleButton';

/** Live tail of the core's log, filtered by level and text. */
export function LogsPage() {
  const lines = useStore(logsSelectors.lines);
  const filter = useStore(logsSelectors.filter);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const visible = useMemo(() => logsSelectors.visible(lines, filter), [lines, filter]);
  const [follow, setFollow] = useState(true);
  const list = useRef<HTMLOListElement>(null);

  // Live tail: keep the newest line in view unless the reader turned following off.
  useEffect(() => {
    const el = list.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [visible, follow]);

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
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow new lines
        </label>
        <span className="muted" aria-live="polite" data-testid="log-count">
          {visible.length} of {lines.length} lines
        </span>
        <SupportBundleButton />
      </div>
      {visible.length === 0 ? (
        <EmptyState title={lines.length === 0 ? 'No log lines yet' : 'Nothing matches the filter'}>
          {lines.length === 0 ? 'Lines appear here live as the core writes them.' : 'Lower the level or clear the search.'}
        </EmptyState>
      ) : (
        <ol ref={list} className="log-lines" data-testid="log-lines" tabIndex={0} aria-label="Log lines">
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
