// How long a maintenance run for the window waits before it changes the instance: not at all inside
// the instance's maintenance window, otherwise until the window next starts (within a week). The
// run then takes its snapshot and applies the change at once, in the window, as the runbook does
// (step 3, "during maintenance window", --apply-immediately). Reads nothing but the window it is given.
import { isInWindow, nextWindowStart, parseWindow } from '../database/maintenance-window.ts';
import { MaintenanceFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const timeUntilWindow = defineWorker({
  name: 'time-until-window',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    dbInstance: z.string().min(1),
    /** PreferredMaintenanceWindow, as RDS described it when the run checked the change. */
    window: z.string().nullable(),
    now: z.string().min(1),
  }),
  run: async ({ dbInstance, window, now }) => {
    const at = Date.parse(now);
    const parsed = parseWindow(window ?? '');
    if (!parsed)
      throw new MaintenanceFailed(
        `${dbInstance} has no maintenance window RDS describes (${window ?? 'none'}): nothing was changed`,
      );
    const inWindow = isInWindow(parsed, at);
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
