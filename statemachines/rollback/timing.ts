// The rollback's time budget: its restore's rollout (with the new targets), the maintenance page's, and its other steps.
import { pollSeconds, type Timing } from '../timing.ts';

/** Worst case of one rollback run. */
export function rollbackBudgetSeconds(t: Timing): number {
  const rollout = pollSeconds(t.deploymentMaxPolls, t.deploymentIntervalSeconds);
  return 2 * rollout + 900;
}

/** The rollback machine's execution timeout: its worst case and a margin. */
export function rollbackTimeoutSeconds(t: Timing): number {
  return rollbackBudgetSeconds(t) + 600;
}

/** Poll rounds a rollback may run at worst: the restore's rollout, the maintenance page's. */
export function pollRoundsPerRollback(t: Timing): number {
  return 2 * t.deploymentMaxPolls;
}
