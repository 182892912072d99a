// db-restore in the registry: the runbook's "Database Restore" (a snapshot or a point in time,
// restored next to the source, verified, and with an approval swapped into its place).
import example from '../../examples/db-restore.json' with { type: 'json' };
import { RestoreInputSchema } from '../../tasks/db-restore/input.ts';
import {
  ApprovalExpired,
  ApprovalRejected,
  CutoverFailed,
  InvalidInput,
  LockHeld,
  RestoreFailed,
  RestoreTargetExists,
  RestoreWindowExceeded,
  SnapshotNotFound,
} from '../../tasks/errors.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { dbRestoreDefinition } from './definition.ts';
import { pollRoundsPerRestore, restoreTimeoutSeconds } from './timing.ts';

const none = { ...example, cutover: 'none' };

export const dbRestore: ProcedureSpec = {
  name: 'db-restore',
  summary:
    'Runbook "Database Restore": restore a snapshot or a point in time next to the source with every setting, verify it, and (approved) swap it into place.',
  runbookSection: 'Backup and Recovery > Database Backup > Database Restore',
  input: RestoreInputSchema,
  example,
  lock: 'database',
  definition: dbRestoreDefinition,
  budget: ({ timing, catalogue }) => ({
    runSeconds: restoreTimeoutSeconds(timing, catalogue),
    pollRounds: pollRoundsPerRestore(timing),
  }),
  errors: [
    InvalidInput,
    LockHeld,
    SnapshotNotFound,
    RestoreWindowExceeded,
    RestoreTargetExists,
    RestoreFailed,
    ApprovalRejected,
    ApprovalExpired,
    CutoverFailed,
  ],
  scenarios: [
    {
      name: 'happy',
      description:
        'The newest snapshot is restored and verified, approved, swapped into place by two renames; the app is redeployed and healthy.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'restore-only',
      description: 'cutover none: the restored instance is verified next to the source, which is unchanged.',
      faults: 'happy',
      input: none,
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'point-in-time',
      description: 'The latest restorable time is restored next to the source.',
      faults: 'happy',
      input: { ...none, source: { pointInTime: 'latest-restorable' } },
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'snapshot-missing',
      description: 'The named snapshot does not exist: nothing is created.',
      faults: 'happy',
      input: { ...example, source: { snapshot: 'manual-enterprise-prod-db-gone' } },
      expect: { status: 'FAILED', error: SnapshotNotFound },
    },
    {
      name: 'window-exceeded',
      description: 'The point in time is before the restorable window: nothing is created.',
      faults: 'happy',
      input: { ...none, source: { pointInTime: '2020-01-01T00:00:00Z' } },
      expect: { status: 'FAILED', error: RestoreWindowExceeded },
    },
    {
      name: 'target-exists',
      description:
        'An instance someone else made already has the name the restore would take: refused, nothing overwritten or created.',
      expect: { status: 'FAILED', error: RestoreTargetExists },
    },
    {
      name: 'restore-fails',
      description:
        'The restored instance ends incompatible-restore: RestoreFailed, the source untouched, nothing switched.',
      expect: { status: 'FAILED', error: RestoreFailed },
    },
    {
      name: 'swap-fails',
      description:
        "The restored instance cannot take the source's identifier: the source is renamed back into its place and a person is paged.",
      expect: { status: 'FAILED', error: CutoverFailed },
    },
    {
      name: 'reconnect-fails',
      description:
        "The app's new tasks never become healthy on the restored instance: the swap is kept (its data is what was asked for), a person is paged.",
      expect: { status: 'FAILED', error: CutoverFailed },
    },
    {
      name: 'swap-rejected',
      description:
        'The approver rejects the swap: the restored instance is kept next to the source, nothing switched.',
      faults: 'happy',
      approval: { reject: 'the data-loss window is too long; restore to a point in time instead' },
      expect: { status: 'FAILED', error: ApprovalRejected },
    },
    {
      name: 'swap-expired',
      description:
        'Nobody decides within the approval timeout: the restored instance is kept, nothing switched.',
      faults: 'happy',
      approval: 'expire',
      expect: { status: 'FAILED', error: ApprovalExpired },
    },
    {
      name: 'database-lock-held',
      description: 'Another restore of the same database holds its lock; this one changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'lock-held',
      description:
        'A deployment of the app (which uses the database) holds its lock: a swap changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'invalid-input',
      description: 'The cutover is misspelled; the first step refuses it, naming the field.',
      faults: 'happy',
      input: { ...example, cutover: 'switch' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/db-restore.md',
};
