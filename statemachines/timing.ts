// Poll intervals and budgets of every loop. They come from the config's `polling` section and
// bound every wait: a loop ends with a named error when its budget is spent.
export interface Timing {
  /** ECS rollout polls (the runbook's "watch describe-services"): every 15 s or faster. */
  readonly deploymentIntervalSeconds: number;
  readonly deploymentMaxPolls: number;
  /** Target health polls. */
  readonly targetsIntervalSeconds: number;
  readonly targetsMaxPolls: number;
  /** Consecutive polls with an unhealthy new target that count as persistent. */
  readonly unhealthyLimit: number;
  /** Snapshot polls. */
  readonly snapshotIntervalSeconds: number;
  readonly snapshotMaxPolls: number;
  /** Alarm polls during the bake: at most every 60 s. */
  readonly alarmIntervalSeconds: number;
}

export const DEFAULT_TIMING: Timing = {
  deploymentIntervalSeconds: 15,
  deploymentMaxPolls: 80,
  targetsIntervalSeconds: 10,
  targetsMaxPolls: 60,
  unhealthyLimit: 6,
  snapshotIntervalSeconds: 30,
  snapshotMaxPolls: 120,
  alarmIntervalSeconds: 60,
};

/** Lambda task timeout: above the functions' own 25 s timeout so the function's error surfaces first. */
export const TASK_TIMEOUT_SECONDS = 30;

/**
 * At most this many poll rounds in one deployment run. A round (Wait, Check, Choice) costs at
 * most 30 history events with every poll retry used (2 + 2 + 5 + 7 retried attempts x 3), so 700
 * rounds stay at 21,000 events, leaving room for the other states below Step Functions' 25,000.
 */
export const MAX_POLL_ROUNDS = 700;

/** Poll rounds a deployment may run at worst: snapshot, maintenance page up and down, rollout, targets, bake. */
export function pollRoundsPerDeployment(t: Timing, bakeMinutes: number): number {
  const bakeRounds = Math.ceil((bakeMinutes * 60) / t.alarmIntervalSeconds) + 1;
  return t.snapshotMaxPolls + 3 * t.deploymentMaxPolls + t.targetsMaxPolls + bakeRounds;
}

/** The longest one poll round can take beyond its Wait: the Task's timeout and its retries' backoff. */
const ROUND_OVERHEAD_SECONDS = TASK_TIMEOUT_SECONDS + 60;

/** Worst case of one rollback run: the restore's rollout, the maintenance page's, the targets, and its other steps. */
export function rollbackBudgetSeconds(t: Timing): number {
  const rollout = t.deploymentMaxPolls * (t.deploymentIntervalSeconds + ROUND_OVERHEAD_SECONDS);
  const targets = t.targetsMaxPolls * (t.targetsIntervalSeconds + ROUND_OVERHEAD_SECONDS);
  return 2 * rollout + targets + 900;
}

/** The rollback machine's execution timeout: its worst case and a margin. */
export function rollbackTimeoutSeconds(t: Timing): number {
  return rollbackBudgetSeconds(t) + 600;
}

/**
 * Worst case of one deployment run: the approval wait, every poll budget, the bake, and a whole
 * rollback. The execution timeout is set above it, so a Catch (and the rollback) always gets to run.
 */
export function deploymentBudgetSeconds(
  t: Timing,
  limits: { approvalSeconds: number; bakeSeconds: number },
): number {
  const rounds = (polls: number, interval: number) => polls * (interval + ROUND_OVERHEAD_SECONDS);
  const snapshot = rounds(t.snapshotMaxPolls, t.snapshotIntervalSeconds);
  const rollouts = 3 * rounds(t.deploymentMaxPolls, t.deploymentIntervalSeconds);
  const targets = rounds(t.targetsMaxPolls, t.targetsIntervalSeconds);
  const bake = limits.bakeSeconds + rounds(Math.ceil(limits.bakeSeconds / t.alarmIntervalSeconds) + 1, 0);
  return limits.approvalSeconds + snapshot + rollouts + targets + bake + rollbackTimeoutSeconds(t) + 1800;
}
