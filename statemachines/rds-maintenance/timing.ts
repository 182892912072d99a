// rds-maintenance's time budget: a snapshot in progress waited for, its own snapshot, the approval,
// the wait for the maintenance window, and the change itself.
import { MAX_WINDOW_MINUTES } from '../../tasks/database/maintenance-window.ts';
import type { Catalogue } from '../../tasks/schemas/catalogue.ts';
import { pollSeconds, type Timing } from '../timing.ts';

/** How long RDS may take to apply a minor upgrade or a class change (tens of minutes; Multi-AZ, more). */
const CHANGE_SECONDS = 2 * 3600;

/** The longest wait for a maintenance window: it starts within a week. */
export const MAX_WINDOW_WAIT_SECONDS = 7 * 24 * 3600;

/** Poll rounds of the wait through the change: the window RDS may start it in, and the change. */
export const maintenanceMaxPolls = (t: Timing) =>
  Math.ceil((MAX_WINDOW_MINUTES * 60 + CHANGE_SECONDS) / t.dbInstanceIntervalSeconds);

/** Poll rounds a maintenance run may take at worst. */
export function pollRoundsPerMaintenance(t: Timing): number {
  return 2 * t.snapshotMaxPolls + maintenanceMaxPolls(t);
}

/** The maintenance machine's execution timeout: its worst case, the longest approval of any environment, and a margin. */
export function maintenanceTimeoutSeconds(t: Timing, catalogue: Catalogue): number {
  const approval = Math.max(
    ...Object.values(catalogue.environments).map((e) => e.policy.approvalTimeoutMinutes * 60),
  );
  return (
    2 * pollSeconds(t.snapshotMaxPolls, t.snapshotIntervalSeconds) +
    approval +
    MAX_WINDOW_WAIT_SECONDS +
    pollSeconds(maintenanceMaxPolls(t), t.dbInstanceIntervalSeconds) +
    1800
  );
}
