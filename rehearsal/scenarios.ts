// Named fault scenarios for the simulated account, each composed of the faults of the services it
// touches (defined beside each service) and of the run-state fixtures. The baseline (what runs when
// the rehearsal starts) is healthy; a service a scenario leaves out behaves as it should.

import { PRE_DEPLOY, SNAPSHOT_TAGS } from '../tasks/create-snapshot.ts';
import { approvalKey } from '../tasks/run-state.ts';
import type { AccountFaults } from './account/account.ts';
import { HEALTHY_TASKS, type TaskProfile } from './account/ecs.ts';
import type { EarlierSnapshot } from './account/rds.ts';
import type { Fixtures } from './fixtures.ts';

/** How the simulated account misbehaves in a scenario: its services' faults, and the run-state fixtures. */
export interface FaultScenario extends AccountFaults {
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

/** A pre-deploy snapshot an earlier run of this runbook took, under a release, `ageDays` ago. */
const earlierPreDeploy = (
  db: { service: string; lockKey: string },
  ageDays: number,
  release: string,
): EarlierSnapshot => ({
  id: `pre-deploy-${db.service}-earlier-${String(ageDays).padStart(3, '0')}d`,
  ageDays,
  tags: [
    { Key: SNAPSHOT_TAGS.purpose, Value: PRE_DEPLOY },
    { Key: SNAPSHOT_TAGS.execution, Value: `earlier deployment ${ageDays} days ago` },
    { Key: SNAPSHOT_TAGS.service, Value: db.lockKey },
    { Key: SNAPSHOT_TAGS.release, Value: release },
  ],
});

/** A manual snapshot a person took (no runbook tag): never this runbook's to delete. */
const byHand = (service: string, n: number, ageDays: number): EarlierSnapshot => ({
  id: `${service}-by-hand-${n}`,
  ageDays,
  tags: [{ Key: 'owner', Value: 'dba-team' }],
});

/** By name; each procedure's scenarios (statemachines/<name>/procedure.ts) say what each does to them. */
export const SCENARIOS: Record<string, FaultScenario> = {
  happy: {},
  'slow-rollout': {
    ecs: {
      tasks: ({ isNewRelease }) =>
        !isNewRelease ? HEALTHY_TASKS : { ...HEALTHY_TASKS, startSeconds: 360, healthSeconds: 90 },
    },
    rds: { snapshot: { seconds: 900, fails: false } },
  },
  throttling: {
    throttling: { calls: /^(ecs|elb|rds|cloudwatch):Describe/, everySeconds: 120, forSeconds: 10 },
  },
  'crash-loop': {
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
  },
  'unhealthy-targets': {
    ecs: {
      tasks: ({ isNewRelease }) =>
        !isNewRelease ? HEALTHY_TASKS : { ...HEALTHY_TASKS, health: 'unhealthy' },
    },
  },
  'alarm-during-bake': {
    cloudwatch: { alarmAfterMinutes: 7 },
  },
  'composite-alarm-during-bake': {
    cloudwatch: { alarmAfterMinutes: 7, firstAlarmComposite: true },
  },
  'ecs-auto-rollback': {
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing), rollsBack: true },
  },
  'snapshot-fails': {
    rds: { snapshot: { seconds: 180, fails: true } },
  },
  'snapshot-quota': {
    // The region already holds RDS's default quota of 100 manual snapshots, none of them this runbook's.
    rds: {
      earlierSnapshots: ({ service }) => Array.from({ length: 100 }, (_, i) => byHand(service, i, 30 + i)),
    },
  },
  'snapshot-retention': {
    // Thirty earlier deployments, one every three days, each with its pre-deploy snapshot taken
    // under the release it replaced (3 days ago 40, which 41 replaced; 90 days ago 11), and four
    // snapshots people took.
    rds: {
      earlierSnapshots: (db) => [
        ...Array.from({ length: 30 }, (_, i) => earlierPreDeploy(db, 3 * (i + 1), db.release(40 - i))),
        ...[10, 100, 200, 400].map((ageDays, n) => byHand(db.service, n, ageDays)),
      ],
    },
  },
  'snapshot-deleted': {
    rds: { snapshot: { seconds: 600, fails: false, deletedAfterSeconds: 120 } },
  },
  'rollback-fails': {
    ecs: {
      tasks: ({ isNewRelease, failedDeployments }) =>
        isNewRelease ? crashing : failedDeployments > 0 ? noCapacity : HEALTHY_TASKS,
    },
  },
  'crash-loop-without-breaker': {
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing), noCircuitBreaker: true },
  },
  'no-capacity': {
    ecs: { tasks: () => noCapacity },
  },
  'stuck-rollout': {
    ecs: {
      tasks: ({ isNewRelease }) =>
        isNewRelease ? { ...HEALTHY_TASKS, startSeconds: 24 * 3600 } : HEALTHY_TASKS,
    },
  },
  'already-alarming': {
    cloudwatch: { alarmAtStart: true },
  },
  'changed-during-approval': {
    ecs: { tasks: () => HEALTHY_TASKS, outOfBandDeployAfterSeconds: 60 },
  },
  'nested-start-throttled': {
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
    throttledNestedStarts: 2,
  },
  'service-deleted': {
    ecs: { tasks: () => HEALTHY_TASKS, servicesDeleted: true },
  },
  'run-state-unavailable': {
    outage: { calls: /^dynamodb:/, error: 'InternalServerError', message: 'Internal server error' },
  },
  'lock-handover-fails': {
    ecs: { tasks: ({ isNewRelease }) => (!isNewRelease ? HEALTHY_TASKS : crashing) },
    outage: {
      // The lock's table writes, not the approval service's.
      calls: /^dynamodb:UpdateItem$/,
      only: (input) =>
        !(input.Key as { pk?: { S?: string } } | undefined)?.pk?.S?.startsWith(approvalKey('')),
      error: 'InternalServerError',
      message: 'Internal server error',
    },
  },
  'approval-notice-fails': {
    // SNS fails once, on the approval notice: after the gate recorded its request, before it returns.
    outage: {
      calls: /^sns:Publish$/,
      only: (input) =>
        (input.MessageAttributes as Record<string, { StringValue?: string }> | undefined)?.event
          ?.StringValue === 'approval-needed',
      times: 1,
      error: 'InternalErrorException',
      message: 'Internal error',
    },
  },
  'decision-undelivered': {
    // Step Functions does not take the first decision sent to it (after the approval service recorded it).
    outage: {
      calls: /^sfn:SendTask(Success|Failure)$/,
      times: 1,
      error: 'ServiceUnavailable',
      message: 'Service unavailable',
    },
  },
  'worker-timeout': {
    // The deployment check's function times out once (a slow DescribeServices, say).
    workerDies: { worker: 'check-deployment', error: 'Sandbox.Timedout', times: 1 },
  },
  'lock-held': {
    fixtures: { lockHeld: true },
  },
  'database-lock-held': {
    fixtures: { databaseLockHeld: true },
  },
  'snapshot-in-progress': {
    rds: { snapshotInProgress: { type: 'automated', secondsLeft: 420 } },
  },
  'export-fails': {
    rds: { export: { seconds: 900, fails: true } },
  },
  'restore-fails': {
    // The restored instance ends incompatible-restore (say, a parameter the engine version refuses).
    rds: { restore: { seconds: 1200, endsIn: 'incompatible-restore' } },
  },
  'target-exists': {
    // A person restored by hand into the name this run would take, minutes ago.
    rds: { restoreTargetTaken: true },
  },
  'reconnect-fails': {
    // The services' new tasks never pass their health checks on the restored instance (say, its
    // users' passwords are older than the application's secret).
    ecs: {
      tasks: ({ madeDuringRun }) =>
        madeDuringRun ? { ...HEALTHY_TASKS, health: 'unhealthy' } : HEALTHY_TASKS,
    },
  },
  'nat-gateway-failed': {
    ec2: {
      natGateway: {
        state: 'failed',
        failureCode: 'InsufficientFreeAddressesInSubnet',
        failureMessage: 'Subnet has insufficient free addresses to create this NAT gateway',
      },
    },
  },
  'database-stopped': { rds: { firstInstanceStatus: 'stopped' } },
  'service-degraded': {
    ecs: {
      tasks: () => HEALTHY_TASKS,
      stoppedAtStart: { tasks: 2, reason: 'Essential container in task exited' },
    },
  },
  'load-balancer-impaired': {
    elb: {
      loadBalancer: {
        state: 'active_impaired',
        reason: 'The load balancer cannot scale: there are not enough free IP addresses in its subnets.',
      },
    },
  },
  'error-logs': {
    logs: { errorsPerHour: 60, errorMessage: 'payment declined: \u001b[31mgateway unreachable\u001b[0m' },
  },
  'check-not-permitted': {
    outage: {
      calls: /^ec2:/,
      error: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
    },
  },
  'scaler-holds': { autoscaling: { scalableTarget: { min: 3, max: 10 } } },
  // The load needs 8 tasks: the scaler takes the count up to 8 as soon as its bounds allow.
  'scaler-follows': { autoscaling: { scalableTarget: { min: 3, max: 8 }, loadNeeds: 8 } },
  // The load needs 5 tasks: the scaler moves the count from 3 to 5 a minute into the rehearsal.
  'scaler-moves': { autoscaling: { scalableTarget: { min: 2, max: 10 }, loadNeeds: 5 } },
  // The app's three tasks run; a fourth finds no room on the cluster.
  'scale-no-capacity': { ecs: { tasks: () => HEALTHY_TASKS, roomForTasks: 3 } },
  // And then ECS refuses to take the count back, past every retry.
  'scale-restore-fails': {
    ecs: { tasks: () => HEALTHY_TASKS, roomForTasks: 3 },
    outage: {
      calls: /^ecs:UpdateService$/,
      only: (input) => input.desiredCount === 3,
      error: 'ServerException',
      message: 'Service Unavailable. Please try again later.',
    },
  },
  // The app's auto scaling as the config says it (min 2, max 10, CPU at 70 %), or as it was set before.
  'autoscaling-in-sync': { autoscaling: { scalableTarget: { min: 2, max: 10, cpuTargetPercent: 70 } } },
  'autoscaling-drifted': { autoscaling: { scalableTarget: { min: 3, max: 10, cpuTargetPercent: 60 } } },
  'foreign-policy': {
    autoscaling: { scalableTarget: { min: 2, max: 10, cpuTargetPercent: 70, disableScaleIn: true } },
  },
  'policy-refused': {
    outage: {
      calls: /^autoscaling:PutScalingPolicy$/,
      error: 'ValidationException',
      message: 'TargetValue must be between 8.515920e-109 and 6.0e+108',
    },
  },
  'put-back-fails': {
    outage: {
      calls: /^autoscaling:(PutScalingPolicy|DeregisterScalableTarget)$/,
      error: 'ValidationException',
      message: 'Service is not ready to accept this request',
    },
  },
  'cpu-breach': { cloudwatch: { metrics: { serviceCpuPercent: 93 } } },
  'storage-low': { cloudwatch: { metrics: { freeStorageGiB: 4 } } },
  'metrics-missing': { cloudwatch: { metrics: { bucketMissing: true } } },
  'read-not-permitted': {
    outage: {
      calls: /^cloudwatch:GetMetricData$/,
      error: 'AccessDenied',
      message:
        'User: arn:aws:sts::123456789012:assumed-role/read-usage/fn is not authorized to perform: cloudwatch:GetMetricData',
    },
  },
  // Someone scaled the app down by hand 50 minutes before; since then its targets answer 6 % of
  // requests with a 5xx, slowly, and the application logs errors.
  'incident-after-change': {
    cloudtrail: {
      earlier: [
        {
          minutesBefore: 50,
          eventSource: 'ecs.amazonaws.com',
          eventName: 'UpdateService',
          arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Operator_0a1b2c/sam@company.com',
          requestParameters: { cluster: 'enterprise-prod-cluster', service: 'app-service', desiredCount: 3 },
        },
      ],
    },
    cloudwatch: {
      metrics: {
        loadBalancer: { sinceMinutes: 45, target5xxPercent: 6, elb5xxPercent: 0.5, responseSeconds: 2.5 },
      },
    },
    logs: {
      errorsPerHour: 90,
      errorMessage: 'ERROR pool exhausted: \u001b[2Jtimeout acquiring a connection',
    },
  },
  'cloudtrail-refused': {
    outage: {
      calls: /^cloudtrail:LookupEvents$/,
      error: 'AccessDeniedException',
      message: 'User is not authorized to perform: cloudtrail:LookupEvents',
    },
  },
  // The app's tasks keep exiting: two have just stopped, and each replacement exits too. The tasks
  // of a new deployment run (a fresh start clears what made them exit).
  'incident-crash-loop': {
    ecs: {
      tasks: ({ madeDuringRun }) => (madeDuringRun ? HEALTHY_TASKS : crashing),
      stoppedAtStart: { tasks: 2, reason: 'Essential container in task exited (exit code 137)' },
    },
  },
  // And so do a new deployment's.
  'incident-crash-loop-persists': {
    ecs: {
      tasks: () => crashing,
      stoppedAtStart: { tasks: 2, reason: 'Essential container in task exited (exit code 137)' },
    },
  },
  // Someone else deploys the release before to the services a second into the rehearsal.
  'deployment-starts': {
    ecs: { tasks: () => HEALTHY_TASKS, outOfBandDeployAfterSeconds: 1 },
  },
  'upgrade-fails': {
    // RDS's pre-upgrade checks fail after ten minutes: the instance is available again on its old version.
    rds: { maintenance: { seconds: 600, endsIn: 'available-unchanged' } },
  },
  'upgrade-incompatible': {
    // The new version refuses a parameter of the instance's group.
    rds: { maintenance: { seconds: 900, endsIn: 'incompatible-parameters' } },
  },
  'swap-fails': {
    // The second rename is refused: the restored instance cannot take the source's identifier.
    rds: { rename: { seconds: 120, refusedFor: /-restored-/ } },
  },
};

/** The fault scenario of that name (own keys only). */
export const faultScenario = (name: string): FaultScenario | undefined =>
  Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
