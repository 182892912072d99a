// Named fault scenarios for the simulated account, each composed of the faults of the services it
// touches (defined beside each service) and of the run-state fixtures. The baseline (what runs when
// the rehearsal starts) is healthy; a service a scenario leaves out behaves as it should.
import type { AccountFaults } from './account/account.ts';
import { HEALTHY_TASKS, type TaskProfile } from './account/ecs.ts';
import type { Fixtures } from './fixtures.ts';

export interface Scenario extends AccountFaults {
  readonly name: string;
  readonly description: string;
  readonly fixtures?: Fixtures;
}

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
  },
  'slow-rollout': {
    name: 'slow-rollout',
    description:
      'New tasks take 6 minutes to start and 90 s to pass health checks; still within the budgets.',
    ecs: {
      tasks: ({ isNewRelease }) =>
        !isNewRelease ? HEALTHY_TASKS : { ...HEALTHY_TASKS, startSeconds: 360, healthSeconds: 90 },
    },
    rds: { snapshot: { seconds: 900, fails: false } },
  },
  throttling: {
    name: 'throttling',
    description:
      'Every 2 minutes, 10 s of ThrottlingException on every describe call; the state machine retries with backoff.',
    throttling: { calls: /^(ecs|elb|rds|cloudwatch):Describe/, everySeconds: 120, forSeconds: 10 },
  },
  'crash-loop': {
    name: 'crash-loop',
    description: 'The new image exits at start; the circuit breaker fails the rollout; the run rolls back.',
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
  },
  'unhealthy-targets': {
    name: 'unhealthy-targets',
    description: 'The new tasks run but answer 502 to the health check; the run rolls back.',
    ecs: {
      tasks: ({ isNewRelease }) =>
        !isNewRelease ? HEALTHY_TASKS : { ...HEALTHY_TASKS, health: 'unhealthy' },
    },
  },
  'alarm-during-bake': {
    name: 'alarm-during-bake',
    description:
      'The release is healthy at first; 7 minutes into the bake the 5xx alarm fires; the run rolls back.',
    cloudwatch: { alarmAfterMinutes: 7 },
  },
  'ecs-auto-rollback': {
    name: 'ecs-auto-rollback',
    description:
      "The new tasks crash and ECS's circuit breaker rolls the service back on its own; the run notices and rolls back.",
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing), rollsBack: true },
  },
  'snapshot-fails': {
    name: 'snapshot-fails',
    description: 'The pre-deploy snapshot ends up failed; the service is never touched.',
    rds: { snapshot: { seconds: 180, fails: true } },
  },
  'rollback-fails': {
    name: 'rollback-fails',
    description: 'The new tasks crash, and the rollback cannot place tasks either; the on-call is paged.',
    ecs: {
      tasks: ({ isNewRelease, failedDeployments }) =>
        isNewRelease ? crashing : failedDeployments > 0 ? noCapacity : HEALTHY_TASKS,
    },
  },
  'no-capacity': {
    name: 'no-capacity',
    description: 'No new task can be placed (the cluster is out of memory); any rollout fails.',
    ecs: { tasks: () => noCapacity },
  },
  'stuck-rollout': {
    name: 'stuck-rollout',
    description:
      'The new tasks never get placed (stuck in PENDING); the rollout never completes and the run rolls back.',
    ecs: {
      tasks: ({ isNewRelease }) =>
        isNewRelease ? { ...HEALTHY_TASKS, startSeconds: 24 * 3600 } : HEALTHY_TASKS,
    },
  },
  'already-alarming': {
    name: 'already-alarming',
    description: 'A watched alarm is already in ALARM before the deployment; the preflight refuses to start.',
    cloudwatch: { alarmAtStart: true },
  },
  'changed-during-approval': {
    name: 'changed-during-approval',
    description:
      'While the approval is pending, someone deploys the release before by hand; the run must not deploy over it.',
    ecs: { tasks: () => HEALTHY_TASKS, outOfBandDeployAfterSeconds: 60 },
  },
  'nested-start-throttled': {
    name: 'nested-start-throttled',
    description:
      'The new tasks crash, and Step Functions throttles the first two starts of the rollback; the run retries it.',
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
    throttledNestedStarts: 2,
  },
  'run-state-unavailable': {
    name: 'run-state-unavailable',
    description:
      "The runbook's own DynamoDB table answers every call with InternalServerError; no lock can be taken.",
    outage: { calls: /^dynamodb:/, error: 'InternalServerError', message: 'Internal server error' },
  },
  'lock-handover-fails': {
    name: 'lock-handover-fails',
    description:
      'The new tasks crash, and the lock cannot be handed over to the rollback (DynamoDB UpdateItem fails).',
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
    outage: {
      calls: /^dynamodb:UpdateItem$/,
      error: 'InternalServerError',
      message: 'Internal server error',
    },
  },
  'lock-held': {
    name: 'lock-held',
    description: 'Another run holds the lock on the service; this run changes nothing.',
    fixtures: { lockHeld: true },
  },
};

/** The fault scenario of that name (own keys only). */
export const faultScenario = (name: string): Scenario | undefined =>
  Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
