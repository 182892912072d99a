// production-deployment in the registry: the runbook's "Production Deployment" (and, with lighter
// policy, its "Standard Deployment"), its input, its budget, its outcomes and the paths it is rehearsed on.
import example from '../../examples/production-deployment.json' with { type: 'json' };
import {
  ApprovalExpired,
  ApprovalRejected,
  DeploymentRolledBack,
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RollbackFailed,
  SnapshotFailed,
  TransientAwsError,
} from '../../tasks/errors.ts';
import { DeploymentInputSchema } from '../../tasks/production-deployment/input.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { rollback } from '../rollback/procedure.ts';
import { productionDeploymentDefinition } from './definition.ts';
import { deploymentBudget } from './timing.ts';

const rolledBack = { status: 'FAILED', error: DeploymentRolledBack } as const;
/** The example, without saying who asks. */
const { requestedBy: _, ...unnamed } = example;

export const productionDeployment: ProcedureSpec = {
  name: 'production-deployment',
  summary:
    'Runbook "Production Deployment": approval, snapshot, new revision, healthy targets, bake; rolls back on failure.',
  runbookSection: 'Deployment Procedures > Production Deployment (and Standard Deployment)',
  input: DeploymentInputSchema,
  example,
  lock: 'service',
  runs: [rollback],
  definition: productionDeploymentDefinition,
  budget: ({ timing, catalogue }) => deploymentBudget(timing, catalogue),
  errors: [
    InvalidInput,
    LockHeld,
    PreflightFailed,
    ApprovalRejected,
    ApprovalExpired,
    SnapshotFailed,
    DeploymentRolledBack,
    RollbackFailed,
    TransientAwsError,
  ],
  scenarios: [
    {
      name: 'happy',
      description: 'Everything works: the new tasks start, pass health checks, and the bake is quiet.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'slow-rollout',
      description:
        'New tasks take 6 minutes to start and 90 s to pass health checks; still within the budgets.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'throttling',
      description:
        'Every 2 minutes, 10 s of ThrottlingException on every describe call; the state machine retries with backoff.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'crash-loop',
      description: 'The new image exits at start; the circuit breaker fails the rollout; the run rolls back.',
      expect: rolledBack,
    },
    {
      name: 'unhealthy-targets',
      description: 'The new tasks run but answer 502 to the health check; the run rolls back.',
      expect: rolledBack,
    },
    {
      name: 'alarm-during-bake',
      description:
        'The release is healthy at first; 7 minutes into the bake the 5xx alarm fires; the run rolls back.',
      expect: rolledBack,
    },
    {
      name: 'crash-loop-without-breaker',
      description:
        'The new release crash-loops on a service without a deployment circuit breaker, so ECS never fails the rollout; the run counts the failed tasks against the breaker’s own threshold and rolls back.',
      expect: rolledBack,
    },
    {
      name: 'composite-alarm-during-bake',
      description:
        'As alarm-during-bake, the watched alarm being a composite alarm (which DescribeAlarms returns only when asked for): the run rolls back.',
      expect: rolledBack,
    },
    {
      name: 'ecs-auto-rollback',
      description:
        "The new tasks crash and ECS's circuit breaker rolls the service back on its own; the run notices and rolls back.",
      expect: rolledBack,
    },
    {
      name: 'snapshot-fails',
      description: 'The pre-deploy snapshot ends up failed; the service is never touched.',
      expect: { status: 'FAILED', error: SnapshotFailed },
    },
    {
      name: 'snapshot-quota',
      description:
        'The region already holds the 100 manual DB snapshots RDS allows, none of them this runbook’s: the pre-deploy snapshot is refused (SnapshotQuotaExceeded) and the run fails before any change, naming the quota.',
      expect: { status: 'FAILED', error: SnapshotFailed },
    },
    {
      name: 'snapshot-retention',
      description:
        'Thirty earlier deployments left a pre-deploy snapshot each, one every 3 days, beside 4 people took: after the deployment, the retention keeps the newest 20 of the runbook’s own and deletes the 11 older ones, never one a person took.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'rollback-fails',
      description: 'The new tasks crash, and the rollback cannot place tasks either; the on-call is paged.',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'no-capacity',
      description: 'No new task can be placed (the cluster is out of memory); any rollout fails.',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'stuck-rollout',
      description:
        'The new tasks never get placed (stuck in PENDING); the rollout never completes and the run rolls back.',
      expect: rolledBack,
    },
    {
      name: 'already-alarming',
      description:
        'A watched alarm is already in ALARM before the deployment; the preflight refuses to start.',
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'lock-held',
      description: 'Another run holds the lock on the service; this run changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'approval-rejected',
      description: 'The approver rejects the request; nothing is changed.',
      faults: 'happy',
      approval: 'reject',
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'approval-expired',
      description: 'Nobody decides before the request expires; nothing is changed.',
      faults: 'happy',
      approval: 'expire',
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'requester-approves',
      description:
        'The requester tries to approve their own run and is refused; the run keeps waiting until an approver approves.',
      faults: 'happy',
      approval: {
        attempts: [
          { as: 'requester', decision: 'approve' },
          { as: 'approver', decision: 'approve' },
        ],
      },
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'starter-approves',
      description:
        'A run started without naming its requester; the person who started it tries to approve it and is refused, because CloudTrail says who started it; then an approver approves.',
      faults: 'happy',
      input: unnamed,
      approval: {
        attempts: [
          { as: 'starter', decision: 'approve' },
          { as: 'approver', decision: 'approve' },
        ],
      },
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'forged-approval',
      description:
        'Someone resumes the gate with SendTaskSuccess and a well-formed "approved", bypassing the approval service; the run checks the request it recorded and changes nothing.',
      faults: 'happy',
      approval: {
        sendTaskSuccess: {
          decision: 'approved',
          approver: 'mallory',
          approvalId: '0'.repeat(20),
          summaryHash: '0'.repeat(64),
        },
      },
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'non-approver',
      description:
        'Someone no approver pattern names tries to approve, is refused, and nobody else decides: the request expires.',
      faults: 'happy',
      approval: { attempts: [{ as: 'non-approver', decision: 'approve' }] },
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'double-reject',
      description:
        'An approver rejects, and submits the rejection again; the second is refused and the run ends rejected once.',
      faults: 'happy',
      approval: {
        attempts: [
          { as: 'approver', decision: 'reject', comment: 'not during the sale' },
          { as: 'approver', decision: 'reject', comment: 'not during the sale' },
        ],
      },
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'approval-notice-fails',
      description:
        'SNS fails once on the approval notice, after the gate recorded its request; the gate retries with a new token, the same request follows it, and the approval reaches the run.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'decision-undelivered',
      description:
        'Step Functions does not take the approval when it is made; the request stays decided, the delivery schedule sends it again, and the run resumes.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'snapshot-deleted',
      description:
        'The pre-deploy snapshot is deleted while it is being created; the run fails with SnapshotFailed before any change.',
      expect: { status: 'FAILED', error: SnapshotFailed },
    },
    {
      name: 'worker-timeout',
      description:
        'The deployment check’s function times out once; a read-only step, it is retried, and the deployment goes on.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'late-approval',
      description:
        'An approver approves only after the request expired; the decision is refused and the run ends ApprovalExpired.',
      faults: 'happy',
      approval: { attempts: [{ as: 'approver', decision: 'approve', late: true }] },
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'changed-during-approval',
      description:
        'While the approval is pending, someone deploys the release before by hand; the run refuses to deploy over it.',
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'nested-start-throttled',
      description:
        'The new tasks crash, and Step Functions throttles the first two starts of the rollback; the run retries it and rolls back.',
      expect: rolledBack,
    },
    {
      name: 'run-state-unavailable',
      description:
        "The runbook's own DynamoDB table answers every call with InternalServerError; no lock can be taken, nothing is changed.",
      expect: { status: 'FAILED', error: TransientAwsError },
    },
    {
      name: 'lock-handover-fails',
      description:
        'The new tasks crash, and the lock cannot be handed over to the rollback: no rollback runs, the on-call is paged.',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'invalid-input',
      description: 'The image is a moving tag where prod requires a digest; the first step refuses it.',
      faults: 'happy',
      input: { ...example, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/production-deployment.md',
};
