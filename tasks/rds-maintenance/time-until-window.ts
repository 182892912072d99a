// How long a maintenance run for the window waits before it changes the instance: not at all inside
// the instance's maintenance window with at least half an hour of it left (the snapshot comes first,
// and the change should start in the window), otherwise until the window next starts (within a week). The
// run then takes its snapshot and applies the change at once, in the window, as the runbook does
// (step 3, "during maintenance window", --apply-immediately). Reads nothing but the window it is given.
import { minutesLeftInWindow, nextWindowStart, parseWindow } from '../database/maintenance-window.ts';
import { MaintenanceFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

/** Inside the window, at least this much of it must be left to go ahead at once (windows last 30 minutes or more). */
export const MIN_WINDOW_LEFT_MINUTES = 30;

export const timeUntilWindow = defineWorker({
  name: 'time-until-window',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    dbInstance: z.string().min(1),
    /** PreferredMaintenanceWindow, as RDS described it when the run checked the change. */
    window: z.string().nullable(),
    now: z.iso.datetime({ offset: true }),
  }),
  run: async ({ dbInstance, window, now }) => {
    const at = Date.parse(now);
    const parsed = parseWindow(window ?? '');
    if (!parsed)
      throw new MaintenanceFailed(
        `${dbInstance} has no maintenance window RDS describes (${window ?? 'none'}): nothing was changed`,
      );
    const left = minutesLeftInWindow(parsed, at);
    const inWindow = left !== null && left >= Math.min(MIN_WINDOW_LEFT_MINUTES, parsed.durationMinutes);
    const startsAt = inWindow ? at : nextWindowStart(parsed, at);
    return {
      startsAt: new Date(startsAt).toISOString(),
      waitSeconds: Math.ceil((startsAt - at) / 1000),
      inWindow,
    };
  },
  summarize: (r) =>
    r.inWindow
      ? 'inside the maintenance window: at once'
      : `the window starts ${r.startsAt}, in ${Math.round(r.waitSeconds / 360) / 10} h`,
});

export const handler = lambdaHandler(timeUntilWindow);
