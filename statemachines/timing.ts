// Poll intervals and budgets of the loops procedures share (rollouts, snapshots, alarms).
// They come from the config's `polling` section and bound every wait: a loop ends with a named
// error when its budget is spent. Each procedure's own time budget is in its folder (timing.ts).
import { z } from 'zod';
import type { Catalogue, Policy } from '../tasks/schemas/catalogue.ts';
export interface Timing {
  /**
   * ECS rollout polls (the runbook's "watch describe-services", with the new tasks' target health):
   * every 15 s or faster. The budget covers starting, health checks and the old targets' draining.
   */
  readonly deploymentIntervalSeconds: number;
  readonly deploymentMaxPolls: number;
  /** Consecutive rollout polls with an unhealthy new target that count as persistent. */
  readonly unhealthyLimit: number;
  /** Snapshot polls. */
  readonly snapshotIntervalSeconds: number;
  readonly snapshotMaxPolls: number;
  /** Alarm polls during the bake: at most every 60 s. */
  readonly alarmIntervalSeconds: number;
  /** Snapshot export polls (an export takes tens of minutes to hours). */
  readonly exportIntervalSeconds: number;
  readonly exportMaxPolls: number;
  /** DB instance polls: a restore, a rename, a modification (tens of minutes). */
  readonly dbInstanceIntervalSeconds: number;
  readonly dbInstanceMaxPolls: number;
}

export const DEFAULT_TIMING: Timing = {
  deploymentIntervalSeconds: 15,
  deploymentMaxPolls: 80,
  // A target in `unhealthy` is already the load balancer's verdict (after its own unhealthy
  // threshold of failed checks in a row): one poll that sees it is enough.
  unhealthyLimit: 1,
  snapshotIntervalSeconds: 30,
  snapshotMaxPolls: 120,
  alarmIntervalSeconds: 60,
  exportIntervalSeconds: 60,
  exportMaxPolls: 240,
  dbInstanceIntervalSeconds: 30,
  dbInstanceMaxPolls: 180,
};

/** Lambda task timeout: above the functions' own 25 s timeout so the function's error surfaces first. */
export const TASK_TIMEOUT_SECONDS = 30;

/** The config's `polling` section: every field optional, defaults above. */
export const PollingSchema = z
  .strictObject({
    deploymentIntervalSeconds: z.number().int().min(5).max(15),
    deploymentMaxPolls: z.number().int().min(1).max(240),
    unhealthyLimit: z.number().int().min(1).max(60),
    snapshotIntervalSeconds: z.number().int().min(10).max(300),
    snapshotMaxPolls: z.number().int().min(1).max(500),
    alarmIntervalSeconds: z.number().int().min(10).max(60),
    exportIntervalSeconds: z.number().int().min(30).max(300),
    exportMaxPolls: z.number().int().min(1).max(500),
    dbInstanceIntervalSeconds: z.number().int().min(10).max(300),
    dbInstanceMaxPolls: z.number().int().min(1).max(500),
  })
  .partial()
  .transform((p): Timing => ({ ...DEFAULT_TIMING, ...p }));

/**
 * At most this many poll rounds in one run of any procedure. A round (Wait, Check, Choice) costs at
 * most 30 history events with every poll retry used (2 + 2 + 5 + 7 retried attempts x 3), so 700
 * rounds stay at 21,000 events, leaving room for the other states below Step Functions' 25,000.
 */
export const MAX_POLL_ROUNDS = 700;

/** The longest one poll round can take beyond its Wait: the Task's timeout and its retries' backoff. */
export const ROUND_OVERHEAD_SECONDS = TASK_TIMEOUT_SECONDS + 60;

/** The longest `polls` rounds of a loop polling every `interval` seconds can take. */
export const pollSeconds = (polls: number, interval: number) => polls * (interval + ROUND_OVERHEAD_SECONDS);

/** The largest of a policy figure across the catalogue's environments (a machine serves them all). */
export const longest = (catalogue: Catalogue, of: (policy: Policy) => number) =>
  Math.max(...Object.values(catalogue.environments).map((e) => of(e.policy)));

/** The longest approval wait of any environment, in seconds. */
export const longestApprovalSeconds = (catalogue: Catalogue) =>
  longest(catalogue, (p) => p.approvalTimeoutMinutes * 60);
