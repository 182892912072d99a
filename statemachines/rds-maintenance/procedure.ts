// rds-maintenance in the registry: the runbook's "RDS Maintenance" (minor version upgrade) and
// "Scale RDS Instance" (instance class): checked, approved, now or in the maintenance window, a snapshot right before.
import example from '../../examples/rds-maintenance.json' with { type: 'json' };
import {
  ApprovalExpired,
  ApprovalRejected,
  InvalidInput,
  LockHeld,
  MaintenanceFailed,
  SnapshotFailed,
} from '../../tasks/errors.ts';
import { MaintenanceInputSchema } from '../../tasks/rds-maintenance/input.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { rdsMaintenanceDefinition } from './definition.ts';
import { maintenanceTimeoutSeconds, pollRoundsPerMaintenance } from './timing.ts';

const { engineVersion: _version, ...scale } = { ...example, instanceClass: 'db.r6g.xlarge', apply: 'window' };

export const rdsMaintenance: ProcedureSpec = {
  name: 'rds-maintenance',
  summary:
    'Runbook "RDS Maintenance" and "Scale RDS Instance": a minor engine upgrade or an instance class change, checked with RDS, approved, now or in the maintenance window, a snapshot right before, verified.',
  runbookSection: 'Maintenance Procedures > RDS Maintenance (and Scaling Operations > Scale RDS Instance)',
  input: MaintenanceInputSchema,
  example,
  lock: 'database',
  definition: rdsMaintenanceDefinition,
  budget: ({ timing, catalogue }) => ({
    runSeconds: maintenanceTimeoutSeconds(timing, catalogue),
    pollRounds: pollRoundsPerMaintenance(timing),
  }),
  errors: [InvalidInput, LockHeld, SnapshotFailed, ApprovalRejected, ApprovalExpired, MaintenanceFailed],
  scenarios: [
    {
      name: 'happy',
      description:
        'The minor upgrade to 15.7 is a valid target; approved, the snapshot taken, the change applied at once; the instance is available on 15.7.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'scale-in-window',
      description:
        'A class change for the maintenance window: approved, the run waits for Sunday 05:00 UTC, takes the snapshot, applies the change, and waits through modifying until the instance is available on db.r6g.xlarge.',
      faults: 'happy',
      input: scale,
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'upgrade-fails',
      description:
        "RDS's pre-upgrade checks fail: the instance is available again on 15.4. Not undone automatically: a person is paged with the snapshot and the db-restore input.",
      expect: { status: 'FAILED', error: MaintenanceFailed },
    },
    {
      name: 'upgrade-incompatible',
      description:
        'The upgrade leaves the instance incompatible-parameters, a state RDS does not leave by itself: a person is paged with the snapshot and the db-restore input.',
      expect: { status: 'FAILED', error: MaintenanceFailed },
    },
    {
      name: 'not-an-upgrade-target',
      description:
        '16.3 is a major upgrade of 15.4: refused after asking RDS, nothing changed, no snapshot taken.',
      faults: 'happy',
      input: { ...example, engineVersion: '16.3' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
    {
      name: 'snapshot-fails',
      description: 'The snapshot right before the change ends failed: nothing is changed.',
      expect: { status: 'FAILED', error: SnapshotFailed },
    },
    {
      name: 'upgrade-rejected',
      description: 'The approver rejects the upgrade: nothing changed, no snapshot taken.',
      faults: 'happy',
      approval: { reject: 'not before the quarter-end close' },
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'upgrade-expired',
      description: 'Nobody decides within the approval timeout: nothing changed, no snapshot taken.',
      faults: 'happy',
      approval: 'expire',
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'database-lock-held',
      description: 'A restore of the same database holds its lock; this run changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'invalid-input',
      description:
        'Neither an engine version nor a class is named; the first step refuses it, naming the field.',
      faults: 'happy',
      input: { ...scale, instanceClass: undefined },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/rds-maintenance.md',
};
