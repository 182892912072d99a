// production-deployment's time budget: the approval wait, every poll budget, the bake, and a whole
// rollback, for the longest approval timeout and bake of any environment.
import type { Catalogue } from '../../tasks/schemas/catalogue.ts';
import { rollbackTimeoutSeconds } from '../rollback/timing.ts';
import { longest, longestApprovalSeconds, pollSeconds, type Timing } from '../timing.ts';

/** Poll rounds a deployment may run at worst: snapshot, maintenance page up and down, rollout, bake. */
export function pollRoundsPerDeployment(t: Timing, bakeMinutes: number): number {
  const bakeRounds = Math.ceil((bakeMinutes * 60) / t.alarmIntervalSeconds) + 1;
  return t.snapshotMaxPolls + 3 * t.deploymentMaxPolls + bakeRounds;
}

/**
 * Worst case of one deployment run. The execution timeout is set to it, above every wait, so a
 * Catch (and the rollback) always gets to run.
 */
export function deploymentBudgetSeconds(
  t: Timing,
  limits: { approvalSeconds: number; bakeSeconds: number },
): number {
  const snapshot = pollSeconds(t.snapshotMaxPolls, t.snapshotIntervalSeconds);
  const rollouts = 3 * pollSeconds(t.deploymentMaxPolls, t.deploymentIntervalSeconds);
  const bake =
    limits.bakeSeconds + pollSeconds(Math.ceil(limits.bakeSeconds / t.alarmIntervalSeconds) + 1, 0);
  return limits.approvalSeconds + snapshot + rollouts + bake + rollbackTimeoutSeconds(t) + 1800;
}

/** The budget for a catalogue: the longest approval wait and bake of any environment. */
export function deploymentBudget(t: Timing, catalogue: Catalogue) {
  return {
    runSeconds: deploymentBudgetSeconds(t, {
      approvalSeconds: longestApprovalSeconds(catalogue),
      bakeSeconds: longest(catalogue, (p) => p.bakeMinutes * 60),
    }),
    pollRounds: pollRoundsPerDeployment(
      t,
      longest(catalogue, (p) => p.bakeMinutes),
    ),
  };
}
