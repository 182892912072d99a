// RDS's weekly maintenance window (PreferredMaintenanceWindow, `ddd:hh24:mi-ddd:hh24:mi` in UTC,
// at least 30 minutes): when it next starts, and how long it lasts. A change asked for the next
// window starts within it, at a moment RDS picks.
/**
 * The longest window a change may be asked for: the run waits for the window's start, then through
 * the window and the change, and its poll budget is sized for a window of at most this.
 */
export const MAX_WINDOW_MINUTES = 60;

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

/**
 * The first start of the window at or after `from` (ms since the epoch). Inside the window, that is
 * next week's: RDS may or may not still apply a change asked for during the window in this one, and
 * the pessimistic reading waits for the next.
 */
export function nextWindowStart(window: Window, from: number): number {
  const sunday = new Date(from);
  sunday.setUTCHours(0, 0, 0, 0);
  sunday.setUTCDate(sunday.getUTCDate() - sunday.getUTCDay());
  const start = sunday.getTime() + window.startMinute * 60_000;
  return start >= from ? start : start + 7 * DAY_MS;
}
