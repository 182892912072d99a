import { describe, expect, it } from 'vitest';
import { timeUntilWindow } from '../../../tasks/rds-maintenance/time-until-window.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const clients = testClients();
const DB = 'enterprise-prod-db';
const until = (now: string, window: string | null = 'sun:05:00-sun:06:00') =>
  invoke(timeUntilWindow, { dbInstance: DB, window, now }, clients);

describe('time-until-window', () => {
  it('waits until the window next starts', async () => {
    // 2026-12-01 is a Tuesday
    expect(await until('2026-12-01T10:30:00.000Z')).toEqual({
      startsAt: '2026-12-06T05:00:00.000Z',
      waitSeconds: (Date.parse('2026-12-06T05:00:00Z') - Date.parse('2026-12-01T10:30:00Z')) / 1000,
      inWindow: false,
    });
    // A second before it starts: a second
    expect(await until('2026-12-06T04:59:59.000Z')).toMatchObject({ waitSeconds: 1, inWindow: false });
  });

  it('does not wait inside the window with half an hour of it left; with less, waits for the next', async () => {
    for (const now of ['2026-12-06T05:00:00.000Z', '2026-12-06T05:30:00.000Z'])
      expect(await until(now)).toEqual({ startsAt: now, waitSeconds: 0, inWindow: true });
    expect(await until('2026-12-06T05:30:01.000Z')).toMatchObject({
      startsAt: '2026-12-13T05:00:00.000Z',
      inWindow: false,
    });
    // A window of 30 minutes: only at its start
    expect(await until('2026-12-06T05:00:00.000Z', 'sun:05:00-sun:05:30')).toMatchObject({ inWindow: true });
    expect(await until('2026-12-06T05:01:00.000Z', 'sun:05:00-sun:05:30')).toMatchObject({ inWindow: false });
    // At its end it is next week's
    expect(await until('2026-12-06T06:00:00.000Z')).toMatchObject({
      startsAt: '2026-12-13T05:00:00.000Z',
      inWindow: false,
    });
  });

  it('refuses a time that is not one (a Wait of NaN seconds would fail the run)', async () => {
    await expect(until('yesterday')).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('fails with MaintenanceFailed, nothing changed, without a window', async () => {
    for (const [window, shown] of [
      [null, 'none'],
      ['', ''],
      ['sometime', 'sometime'],
    ] as const)
      await expect(until('2026-12-01T10:30:00.000Z', window)).rejects.toMatchObject({
        name: 'MaintenanceFailed',
        message: `${DB} has no maintenance window RDS describes (${shown}): nothing was changed`,
      });
  });
});
