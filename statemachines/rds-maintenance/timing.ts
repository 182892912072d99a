// rds-maintenance's time budget: the approval, the wait for the maintenance window, a snapshot in
// progress waited for, its own snapshot, and the change itself.
import type { Catalogue } from '../../tasks/schemas/catalogue.ts';
import { longestApprovalSeconds, pollSeconds, type Timing } from '../timing.ts';

/** How long RDS may take to apply a minor upgrade or a class change (tens of minutes; Multi-AZ, more). */
const CHANGE_SECONDS = 2 * 3600;

/** The longest wait for a maintenance window: it starts within a week. */
export const MAX_WINDOW_WAIT_SECONDS = 7 * 24 * 3600;

/** The change is polled at the DB instance interval, but not more often than once a minute: it takes tens of minutes. */
export const changeIntervalSeconds = (t: Timing) => Math.max(t.dbInstanceIntervalSeconds, 60);

/** Poll rounds of the wait through the change. */
export const changeMaxPolls = (t: Timing) => Math.ceil(CHANGE_SECONDS / changeIntervalSeconds(t));

/** Poll rounds a maintenance run may take at worst. */
export function pollRoundsPerMaintenance(t: Timing): number {
  return 2 * t.snapshotMaxPolls + changeMaxPolls(t);
}

/** The maintenance machine's execution timeout: its worst case, the longest approval of any environment, and a margin. */
export function maintenanceTimeoutSeconds(t: Timing, catalogue: Catalogue): number {
  const approval = longestApprovalSeconds(catalogue);
  return (
    approval +
    MAX_WINDOW_WAIT_SECONDS +
    2 * pollSeconds(t.snapshotMaxPolls, t.snapshotIntervalSeconds) +
    pollSeconds(changeMaxPolls(t), changeIntervalSeconds(t)) +
    1800
  );
}
