// db-backup's time budget: a snapshot in progress waited for, its own snapshot, and the export.
import { pollSeconds, type Timing } from '../timing.ts';

/** Poll rounds a backup may run at worst. */
export function pollRoundsPerBackup(t: Timing): number {
  return 2 * t.snapshotMaxPolls + t.exportMaxPolls;
}

/** The backup machine's execution timeout: its worst case, its other steps, and a margin. */
export function backupTimeoutSeconds(t: Timing): number {
  const snapshot = pollSeconds(t.snapshotMaxPolls, t.snapshotIntervalSeconds);
  return 2 * snapshot + pollSeconds(t.exportMaxPolls, t.exportIntervalSeconds) + 900 + 600;
}
