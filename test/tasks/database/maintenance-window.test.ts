// RDS's weekly maintenance window: parsed as RDS writes it, its next start, and whether a moment is inside it.
import { describe, expect, it } from 'vitest';
import {
  isInWindow,
  minutesLeftInWindow,
  nextWindowStart,
  parseWindow,
} from '../../../tasks/database/maintenance-window.ts';

describe('maintenance window', () => {
  it('finds the next start of a weekly window, and whether a moment is inside it', () => {
    const at = (iso: string) => Date.parse(iso);
    const w = (window: string) => parseWindow(window) ?? expect.fail(`${window} should parse`);
    expect(
      new Date(nextWindowStart(w('sun:05:00-sun:06:00'), at('2026-12-03T10:00:00Z'))).toISOString(),
    ).toBe('2026-12-06T05:00:00.000Z');
    expect(
      new Date(nextWindowStart(w('thu:11:30-thu:12:00'), at('2026-12-03T10:00:00Z'))).toISOString(),
    ).toBe('2026-12-03T11:30:00.000Z');
    expect(
      new Date(nextWindowStart(w('thu:09:00-thu:09:30'), at('2026-12-03T10:00:00Z'))).toISOString(),
    ).toBe('2026-12-10T09:00:00.000Z');
    // At its start it is this one; a minute into it, next week's (the pessimistic reading).
    expect(nextWindowStart(w('thu:10:00-thu:10:30'), at('2026-12-03T10:00:00Z'))).toBe(
      at('2026-12-03T10:00:00Z'),
    );
    expect(nextWindowStart(w('thu:10:00-thu:10:30'), at('2026-12-03T10:01:00Z'))).toBe(
      at('2026-12-10T10:00:00Z'),
    );
    // A window across midnight and across the week's end.
    expect(parseWindow('sat:23:30-sun:00:30')).toEqual({
      startMinute: 6 * 1440 + 23 * 60 + 30,
      durationMinutes: 60,
    });
    expect(parseWindow('Mon:03:00-mon:03:30')).toEqual({ startMinute: 1440 + 180, durationMinutes: 30 });
    expect(
      new Date(nextWindowStart(w('sat:23:30-sun:00:30'), at('2026-12-03T10:00:00Z'))).toISOString(),
    ).toBe('2026-12-05T23:30:00.000Z');
    // Inside a window: from its start up to, not including, its end; across the week's end too
    const sunday = w('sun:05:00-sun:06:00');
    expect(isInWindow(sunday, at('2026-12-06T05:00:00Z'))).toBe(true);
    expect(isInWindow(sunday, at('2026-12-06T05:59:59Z'))).toBe(true);
    expect(isInWindow(sunday, at('2026-12-06T06:00:00Z'))).toBe(false);
    expect(isInWindow(sunday, at('2026-12-06T04:59:59Z'))).toBe(false);
    expect(isInWindow(w('sat:23:30-sun:00:30'), at('2026-12-06T00:10:00Z'))).toBe(true);
    expect(isInWindow(w('sat:23:30-sun:00:30'), at('2026-12-05T23:29:00Z'))).toBe(false);
    for (const bad of [
      '',
      'sun:05:00',
      'sun:05:00-sun:05:00',
      'sun:25:00-sun:26:00',
      'sun:05:00-xyz:06:00',
      'a-b-c',
    ])
      expect(parseWindow(bad)).toBeNull();
  });

  it('says how much of the window is left, and nothing outside it', () => {
    const at = (iso: string) => Date.parse(iso);
    const sunday = parseWindow('sun:05:00-sun:06:00') ?? expect.fail('parses');
    expect(minutesLeftInWindow(sunday, at('2026-12-06T05:00:00Z'))).toBe(60);
    expect(minutesLeftInWindow(sunday, at('2026-12-06T05:45:00Z'))).toBe(15);
    expect(minutesLeftInWindow(sunday, at('2026-12-06T06:00:00Z'))).toBeNull();
    expect(minutesLeftInWindow(sunday, at('2026-12-05T05:30:00Z'))).toBeNull();
    // Every day of the week, every field of the form
    expect(parseWindow('tue:07:15-tue:08:45')).toEqual({
      startMinute: 2 * 1440 + 7 * 60 + 15,
      durationMinutes: 90,
    });
    expect(parseWindow('wed:23:59-thu:00:29')).toEqual({
      startMinute: 3 * 1440 + 23 * 60 + 59,
      durationMinutes: 30,
    });
    expect(parseWindow('fri:19:00-fri:20:00')?.startMinute).toBe(5 * 1440 + 19 * 60);
    for (const bad of [
      'sun:5:00-sun:06:00',
      'sun:05:60-sun:06:00',
      ' sun:05:00-sun:06:00',
      'sun:05:00-sun:06:00 ',
      'sun:05:00-sun:06:00-',
    ])
      expect(parseWindow(bad), bad).toBeNull();
  });
});
