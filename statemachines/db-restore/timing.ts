// db-restore's time budget: the restore waited for, Enhanced Monitoring applied, the approval, the
// two renames (and the undo of the first), and the services' redeployment.
import type { Catalogue } from '../../tasks/schemas/catalogue.ts';
import { longestApprovalSeconds, pollSeconds, type Timing } from '../timing.ts';

/** How long a rename or a modification may take to end available: 15 minutes. */
const RENAME_SECONDS = 900;

/** Poll rounds of one rename or modification wait, at the DB instance poll interval. */
export const renameMaxPolls = (t: Timing) => Math.ceil(RENAME_SECONDS / t.dbInstanceIntervalSeconds);

/** Poll rounds a restore may run at worst: the restore, monitoring, the renames and their undo, the redeployment. */
export function pollRoundsPerRestore(t: Timing): number {
  return t.dbInstanceMaxPolls + 4 * renameMaxPolls(t) + t.deploymentMaxPolls;
}

/** The restore machine's execution timeout: its worst case, the longest approval of any environment, and a margin. */
export function restoreTimeoutSeconds(t: Timing, catalogue: Catalogue): number {
  const approval = longestApprovalSeconds(catalogue);
  const rename = pollSeconds(renameMaxPolls(t), t.dbInstanceIntervalSeconds);
  return (
    pollSeconds(t.dbInstanceMaxPolls, t.dbInstanceIntervalSeconds) +
    4 * rename +
    pollSeconds(t.deploymentMaxPolls, t.deploymentIntervalSeconds) +
    approval +
    1800
  );
}
