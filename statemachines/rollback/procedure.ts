// rollback in the registry: the runbook's "Rollback Procedure", usable on its own and run by a
// deployment that failed after a change.
import example from '../../examples/rollback.json' with { type: 'json' };
import {
  InvalidInput,
  LockHeld,
  PreflightFailed,
  RollbackFailed,
  TransientAwsError,
} from '../../tasks/errors.ts';
import { RollbackInputSchema } from '../../tasks/rollback/input.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { rollbackDefinition } from './definition.ts';
import { pollRoundsPerRollback, rollbackTimeoutSeconds } from './timing.ts';

export const rollback: ProcedureSpec = {
  name: 'rollback',
  summary:
    'Runbook "Rollback Procedure": restore a service to a given or its last known-good task definition.',
  runbookSection: 'Deployment Procedures > Rollback Procedure',
  input: RollbackInputSchema,
  example,
  lock: 'service',
  definition: rollbackDefinition,
  budget: ({ timing }) => ({
    runSeconds: rollbackTimeoutSeconds(timing),
    pollRounds: pollRoundsPerRollback(timing),
  }),
  errors: [InvalidInput, LockHeld, PreflightFailed, RollbackFailed, TransientAwsError],
  scenarios: [
    {
      name: 'happy',
      description: 'The release before starts, passes health checks, and the service is restored.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'throttling',
      description:
        'Every 2 minutes, 10 s of ThrottlingException on every describe call; the state machine retries with backoff.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'no-capacity',
      description: 'No task can be placed (the cluster is out of memory); the restore fails and pages.',
      expect: { status: 'FAILED', error: RollbackFailed },
    },
    {
      name: 'lock-held',
      description: 'Another run holds the lock on the service; this rollback changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'service-deleted',
      description:
        'The service was deleted before the rollback: it has no PRIMARY deployment to check the release against; nothing is changed.',
      expect: { status: 'FAILED', error: PreflightFailed },
    },
    {
      name: 'run-state-unavailable',
      description:
        "The runbook's own DynamoDB table answers every call with InternalServerError; no lock can be taken, nothing is changed.",
      expect: { status: 'FAILED', error: TransientAwsError },
    },
    {
      name: 'invalid-input',
      description: 'The desired count is above the service bounds; the first step refuses it.',
      faults: 'happy',
      input: { ...example, desiredCount: 99 },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/rollback.md',
};
