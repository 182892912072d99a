// Named fault scenarios for the simulated account. The baseline (what runs when the rehearsal
// starts) is healthy; a scenario decides how the new release, the snapshot and the alarms behave.

/** How a deployment's tasks behave in the simulated account. */
export interface TaskProfile {
  /** Seconds from launch to RUNNING (or to the crash). */
  readonly startSeconds: number;
  readonly outcome: 'runs' | 'crashes';
  /** The targets' health once the health checks have run. */
  readonly health: 'healthy' | 'unhealthy';
  /** Seconds of health checking from registration to a verdict. */
  readonly healthSeconds: number;
  /** ECS's stopped reason for crashing tasks. */
  readonly stoppedReason?: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /**
   * The profile of a deployment's tasks. `isNewRelease`: a task definition registered during the
   * rehearsal (the release being deployed), not one of the known releases the account starts with.
   */
  tasks(ctx: { isNewRelease: boolean; failedDeployments: number }): TaskProfile;
  /** Does a call of this API at this moment (seconds since the start) fail with ThrottlingException? */
  throttled?(api: string, elapsedSeconds: number): boolean;
  /** Seconds a snapshot takes, and whether it fails. */
  readonly snapshot?: { seconds: number; fails: boolean };
  /** Minutes after a new release completes at which the first watched alarm fires. */
  readonly alarmAfterMinutes?: number;
  /** The service's deployment circuit breaker rolls back on its own. */
  readonly ecsRollsBack?: boolean;
  /** Another run holds the service's lock when the rehearsal starts. */
  readonly lockHeld?: boolean;
  /** The first watched alarm is already in ALARM when the rehearsal starts. */
  readonly alarmAtStart?: boolean;
}

const healthy: TaskProfile = { startSeconds: 45, outcome: 'runs', health: 'healthy', healthSeconds: 30 };
const crashing: TaskProfile = {
  startSeconds: 40,
  outcome: 'crashes',
  health: 'healthy',
  healthSeconds: 30,
  stoppedReason: 'Essential container in task exited (exit code 1)',
};

const noCapacity: TaskProfile = {
  ...crashing,
  stoppedReason: 'RESOURCE:MEMORY: no container instance met all requirements',
};

export const SCENARIOS: Record<string, Scenario> = {
  happy: {
    name: 'happy',
    description: 'Everything works: the new tasks start, pass health checks, and the bake is quiet.',
    tasks: () => healthy,
  },
  'slow-rollout': {
    name: 'slow-rollout',
    description:
      'New tasks take 6 minutes to start and 90 s to pass health checks; still within the budgets.',
    tasks: ({ isNewRelease }) =>
      !isNewRelease ? healthy : { ...healthy, startSeconds: 360, healthSeconds: 90 },
    snapshot: { seconds: 900, fails: false },
  },
  throttling: {
    name: 'throttling',
    description:
      'Every 2 minutes, 10 s of ThrottlingException on every describe call; the state machine retries with backoff.',
    tasks: () => healthy,
    throttled: (api, elapsedSeconds) =>
      /^(ecs|elb|rds|cloudwatch):Describe/.test(api) && elapsedSeconds % 120 < 10,
  },
  'crash-loop': {
    name: 'crash-loop',
    description: 'The new image exits at start; the circuit breaker fails the rollout; the run rolls back.',
    tasks: ({ isNewRelease }) => (!isNewRelease ? healthy : crashing),
  },
  'unhealthy-targets': {
    name: 'unhealthy-targets',
    description: 'The new tasks run but answer 502 to the health check; the run rolls back.',
    tasks: ({ isNewRelease }) => (!isNewRelease ? healthy : { ...healthy, health: 'unhealthy' }),
  },
  'alarm-during-bake': {
    name: 'alarm-during-bake',
    description:
      'The release is healthy at first; 7 minutes into the bake the 5xx alarm fires; the run rolls back.',
    tasks: () => healthy,
    alarmAfterMinutes: 7,
  },
  'ecs-auto-rollback': {
    name: 'ecs-auto-rollback',
    description:
      "The new tasks crash and ECS's circuit breaker rolls the service back on its own; the run notices and rolls back.",
    tasks: ({ isNewRelease }) => (!isNewRelease ? healthy : crashing),
    ecsRollsBack: true,
  },
  'snapshot-fails': {
    name: 'snapshot-fails',
    description: 'The pre-deploy snapshot ends up failed; the service is never touched.',
    tasks: () => healthy,
    snapshot: { seconds: 180, fails: true },
  },
  'rollback-fails': {
    name: 'rollback-fails',
    description: 'The new tasks crash, and the rollback cannot place tasks either; the on-call is paged.',
    tasks: ({ isNewRelease, failedDeployments }) =>
      isNewRelease ? crashing : failedDeployments > 0 ? noCapacity : healthy,
  },
  'no-capacity': {
    name: 'no-capacity',
    description: 'No new task can be placed (the cluster is out of memory); any rollout fails.',
    tasks: () => noCapacity,
  },
  'stuck-rollout': {
    name: 'stuck-rollout',
    description:
      'The new tasks never get placed (stuck in PENDING); the rollout never completes and the run rolls back.',
    tasks: ({ isNewRelease }) => (isNewRelease ? { ...healthy, startSeconds: 24 * 3600 } : healthy),
  },
  'already-alarming': {
    name: 'already-alarming',
    description: 'A watched alarm is already in ALARM before the deployment; the preflight refuses to start.',
    tasks: () => healthy,
    alarmAtStart: true,
  },
  'lock-held': {
    name: 'lock-held',
    description: 'Another run holds the lock on the service; this run changes nothing.',
    tasks: () => healthy,
    lockHeld: true,
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

/** The fault scenario of that name (own keys only). */
export const faultScenario = (name: string): Scenario | undefined =>
  Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
