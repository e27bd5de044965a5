import type { StateCreator } from 'zustand';
import type { LogEntry, LogLevel } from '../../../../contract';
import type { LogsActions, LogsState, Store } from '../types';

const MAX_LINES = 1000;

export const initialLogsState: LogsState = { logLines: [], logFilter: { minLevel: 'info', search: '' } };

export const createLogsSlice: StateCreator<Store, [], [], LogsActions> = (set) => ({
  appendLog: (entry) =>
    set((s) => {
      // After a reconnect the tail and the live stream overlap; seq de-duplicates.
      const last = s.logLines[s.logLines.length - 1];
      if (last && entry.seq <= last.seq) return s;
      const next = [...s.logLines, entry];
      return { logLines: next.length > MAX_LINES ? next.slice(-MAX_LINES) : next };
    }),
  replaceLogs: (entries) => set({ logLines: entries.slice(-MAX_LINES) }),
  setLogFilter: (filter) => set((s) => ({ logFilter: { ...s.logFilter, ...filter } })),
});

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

export const logsSelectors = {
  filter: (s: Store) => s.logFilter,
  lines: (s: Store) => s.logLines,
  visible: (lines: LogEntry[], filter: LogsState['logFilter']): LogEntry[] => {
    const needle = filter.search.trim().toLowerCase();
    return lines.filter(
      (l) => RANK[l.level] >= RANK[filter.minLevel] && (!needle || l.message.toLowerCase().includes(needle) || l.source.toLowerCase().includes(needle)),
    );
  },
};
