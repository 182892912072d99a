// db-backup in the registry: the runbook's "Database Backup" (manual snapshot, optional S3 export).
import example from '../../examples/db-backup.json' with { type: 'json' };
import { BackupInputSchema } from '../../tasks/db-backup/input.ts';
import { ExportFailed, InvalidInput, LockHeld, SnapshotFailed } from '../../tasks/errors.ts';
import type { ProcedureSpec } from '../procedure.ts';
import { dbBackupDefinition } from './definition.ts';
import { backupTimeoutSeconds, pollRoundsPerBackup } from './timing.ts';

export const dbBackup: ProcedureSpec = {
  name: 'db-backup',
  summary:
    'Runbook "Database Backup": a manual snapshot, waited for until available, optionally exported to S3 as Parquet.',
  runbookSection: 'Backup and Recovery > Database Backup',
  input: BackupInputSchema,
  example,
  lock: 'database',
  definition: dbBackupDefinition,
  budget: ({ timing }) => ({
    runSeconds: backupTimeoutSeconds(timing),
    pollRounds: pollRoundsPerBackup(timing),
  }),
  errors: [InvalidInput, LockHeld, SnapshotFailed, ExportFailed],
  scenarios: [
    {
      name: 'happy',
      description: 'The snapshot is taken and becomes available; the export to S3 completes.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'snapshot-in-progress',
      description:
        "RDS's automated snapshot of the instance is still being made: the backup waits for it, then takes its own.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'export-fails',
      description: 'The export ends FAILED (the export role cannot write); the snapshot is kept, available.',
      expect: { status: 'FAILED', error: ExportFailed },
    },
    {
      name: 'snapshot-fails',
      description: 'The snapshot ends failed; nothing is exported.',
      expect: { status: 'FAILED', error: SnapshotFailed },
    },
    {
      name: 'database-lock-held',
      description: 'A restore of the same database holds its lock; this backup changes nothing.',
      expect: { status: 'FAILED', error: LockHeld },
    },
    {
      name: 'invalid-input',
      description: 'The database is not configured; the first step refuses it, naming the field.',
      faults: 'happy',
      input: { ...example, database: 'constructor' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/db-backup.md',
};
