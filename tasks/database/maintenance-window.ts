// RDS's weekly maintenance window (PreferredMaintenanceWindow, `ddd:hh24:mi-ddd:hh24:mi` in UTC,
// at least 30 minutes): when it next starts, how long it lasts, and whether a moment is inside it.
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;
const WEEK_MINUTES = 7 * 24 * 60;
const PATTERN = /^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)$/;

export interface Window {
  /** Minutes from Sunday 00:00 UTC to the window's start. */
  readonly startMinute: number;
  readonly durationMinutes: number;
}

function minuteOfWeek(end: string): number | null {
  const m = PATTERN.exec(end);
  if (!m) return null;
  return DAYS.indexOf(m[1] ?? '') * 24 * 60 + Number(m[2]) * 60 + Number(m[3]);
}

/** The window a PreferredMaintenanceWindow names, or null if it is not one. */
export function parseWindow(window: string): Window | null {
  const [from, to, ...rest] = window.toLowerCase().split('-');
  if (from === undefined || to === undefined || rest.length > 0) return null;
  const start = minuteOfWeek(from);
  const end = minuteOfWeek(to);
  if (start === null || end === null) return null;
  const duration = (end - start + WEEK_MINUTES) % WEEK_MINUTES;
  return duration === 0 ? null : { startMinute: start, durationMinutes: duration };
}

/** The first start of the window at or after `from` (ms since the epoch); inside the window, next week's. */
export function nextWindowStart(window: Window, from: number): number {
  const sunday = new Date(from);
  sunday.setUTCHours(0, 0, 0, 0);
  sunday.setUTCDate(sunday.getUTCDate() - sunday.getUTCDay());
  const start = sunday.getTime() + window.startMinute * 60_000;
  return start >= from ? start : start + 7 * DAY_MS;
}

/** Minutes of the window left at `at` if it is inside it (from its start, up to but not including its end), else null. */
export function minutesLeftInWindow(window: Window, at: number): number | null {
  const next = nextWindowStart(window, at);
  const last = next === at ? at : next - 7 * DAY_MS;
  const left = window.durationMinutes - (at - last) / 60_000;
  return left > 0 ? left : null;
}

/** Whether `at` is inside the window. */
export const isInWindow = (window: Window, at: number) => minutesLeftInWindow(window, at) !== null;
