// scale-service in the registry: the runbook's "Scale ECS Service > Manual Scaling", with the
// service's lock, a scaler that holds the new count, and the deployment's own wait.
import example from '../../examples/scale-service.json' with { type: 'json' };
import {
  ApprovalExpired,
  ApprovalRejected,
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RollbackFailed,
  ScalingFailed,
} from '../../tasks/errors.ts';
import { ScaleInputSchema } from '../../tasks/scale-service/input.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { longestApprovalSeconds, pollSeconds } from '../timing.ts';
import { scaleServiceDefinition } from './definition.ts';

export const scaleService: ProcedureSpec = {
  name: 'scale-service',
  summary:
    'Runbook "Manual Scaling": set a service\'s desired count within its bounds, holding it against the service\'s auto scaler, and wait until every task is running and healthy; put back as it was if it does not settle.',
  runbookSection: 'Scaling Operations > Scale ECS Service > Manual Scaling',
  input: ScaleInputSchema,
  example,
  lock: 'service',
  definition: scaleServiceDefinition,
  // The approval, the scale's wait and, if it fails, the wait putting it back, and the steps in line.
  budget: ({ timing, catalogue }) => ({
    runSeconds:
      longestApprovalSeconds(catalogue) +
      2 * pollSeconds(timing.deploymentMaxPolls, timing.deploymentIntervalSeconds) +
      1800,
    pollRounds: 2 * timing.deploymentMaxPolls,
  }),
  errors: [
    InvalidInput,
    LockHeld,
    PreflightFailed,
    ApprovalRejected,
    ApprovalExpired,
    ScalingFailed,
    RollbackFailed,
  ],
  scenarios: [
    {
      name: 'happy',
      description:
        'The app scales from 3 to 6 tasks: the new tasks start and pass their health checks; no scaler manages the count.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'scaler-holds',
      description:
        "A target-tracking scaler manages the app's count (min 3, max 10) and would bring it back to 3: the run raises the scalable target's minimum to 6 first, so the scaler keeps the new count.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'scaler-follows',
      description:
        'The load needs more than 6 tasks, and the scaler may go to 8: once the run raises its minimum to 6, it takes the count on to 8. That is the scale holding, not undone: the run is done at 8.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'stale-approval',
      description:
        'A scale-down to 2 waits for its approval while the scaler moves the count from 3 to 5: read again after the approval, the plan is stale, and the run stops before any change.',
      faults: 'scaler-moves',
      input: { ...example, desiredCount: 2, reason: 'The launch is over' },
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'scale-down-approved',
      description:
        'The app scales down from 3 to 2 tasks, a third of them: more than the quarter production lets go without an approval, so it asks one first; approved, it scales.',
      faults: 'happy',
      input: { ...example, desiredCount: 2, reason: 'The launch is over' },
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'scale-down-rejected',
      description: 'The same scale-down, rejected by the approver: nothing is changed.',
      faults: 'happy',
      input: { ...example, desiredCount: 2, reason: 'The launch is over' },
      approval: { reject: 'not during the sale' },
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'no-capacity',
      description:
        'The cluster has no room for the new tasks: they fail to start, the scale does not settle, and the service is put back at 3 tasks.',
      faults: 'scale-no-capacity',
      expect: { status: 'FAILED', error: ScalingFailed },
    },
    {
      name: 'restore-fails',
      description:
        'The new tasks find no room, and then ECS answers every UpdateService putting the count back with ServerException, past the retries: the on-call is paged.',
      faults: 'scale-restore-fails',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'scale-down-expired',
      description: 'The same scale-down, and nobody decides within the hour: nothing is changed.',
      faults: 'happy',
      input: { ...example, desiredCount: 2, reason: 'The launch is over' },
      approval: 'expire',
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'service-deleted',
      description:
        'The service was deleted before the run: it has no PRIMARY deployment to scale; nothing is changed.',
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'lock-held',
      description: 'Another run holds the lock on the service; this scale changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'out-of-bounds',
      description:
        "The count asked for is above the service's configured maximum of 10; the first step refuses it.",
      faults: 'happy',
      input: { ...example, desiredCount: 12 },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/scale-service.md',
};
