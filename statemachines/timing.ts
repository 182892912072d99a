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
