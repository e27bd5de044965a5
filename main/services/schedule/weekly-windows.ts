import type { ScheduleWindow } from '../../../contract/domains/schedule';

const WEEK_MIN = 7 * 24 * 60;

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Minutes since local Sunday 00:00, with the fraction of the current minute. */
function minuteOfWeek(at: Date): number {
  return at.getDay() * 1440 + at.getHours() * 60 + at.getMinutes() + at.getSeconds() / 60 + at.getMilliseconds() / 60000;
}

/**
 * The windows as merged intervals over two weeks, so a window running to
 * Saturday 24:00 joins one starting Sunday 00:00, and "next opening" works
 * across the week's end.
 */
function mergedIntervals(windows: readonly ScheduleWindow[]): Array<[number, number]> {
  const raw: Array<[number, number]> = [];
  for (const w of windows) {
    const s = w.day * 1440 + minutes(w.start);
    const e = w.day * 1440 + minutes(w.end);
    raw.push([s, e], [s + WEEK_MIN, e + WEEK_MIN]);
  }
  raw.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of raw) {
    const last = merged.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

export interface WindowVerdict {
  open: boolean;
  /** Epoch ms when the windows next close (when open) or open (when closed); null when that never happens. */
  nextChangeAt: number | null;
}

/**
 * Whether `now` (local time) falls inside the weekly windows, and when that
 * changes. Local clock arithmetic: across a DST change the boundary can be an
 * hour off for that one night.
 */
export function evaluateWindows(windows: readonly ScheduleWindow[], now: number): WindowVerdict {
  if (windows.length === 0) return { open: false, nextChangeAt: null };
  const t = minuteOfWeek(new Date(now));
  const toEpoch = (minute: number) => now + (minute - t) * 60_000;
  const intervals = mergedIntervals(windows);
  const inside = intervals.find(([s, e]) => s <= t && t < e);
  if (inside) {
    // Open all week round: never closes.
    if (inside[1] - inside[0] >= 2 * WEEK_MIN) return { open: true, nextChangeAt: null };
    return { open: true, nextChangeAt: toEpoch(inside[1]) };
  }
  const next = intervals.find(([s]) => s > t);
  return { open: false, nextChangeAt: next ? toEpoch(next[0]) : null };
}

/** Describes the windows that contain a day for messages, e.g. "Mon 09:00–17:00". */
export function describeWindow(w: ScheduleWindow): string {
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][w.day]} ${w.start}–${w.end}`;
}
