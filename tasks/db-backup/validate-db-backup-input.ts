// First step of db-backup: checks the input and resolves the database; changes nothing.
import { type Issue, issuesError, lookUpDatabase, runSuffix } from '../catalogue.ts';
import { databaseLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { BackupInputFields, BackupInputSchema, type BackupRequest, BackupRequestSchema } from './input.ts';

/** The minute the run started, as the runbook stamps its backups (manual-YYYYMMDDHHMM). */
export const stampOf = (execution: Execution) => execution.startTime.replace(/[^0-9]/g, '').slice(0, 12);

/** Validates a db-backup input against the catalogue; throws InvalidInput naming every problem. */
export function resolveBackup(input: unknown, catalogue: Catalogue, execution: Execution): BackupRequest {
  const strict = BackupInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : BackupInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpDatabase(catalogue, req.environment, req.database, issues);
  if (!found) throw issuesError(issues);
  const { db } = found;
  if (req.export && !db.export)
    issues.push({
      path: 'export',
      message: `${req.environment}/${req.database} has no export configured (databases.${req.database}.export)`,
    });
  if (issues.length > 0) throw issuesError(issues);
  const stamp = stampOf(execution);
  const suffix = runSuffix(execution.id);
  const instance = db.instance.toLowerCase();
  return BackupRequestSchema.parse({
    procedure: 'db-backup',
    environment: req.environment,
    service: req.database,
    dbInstance: instance,
    snapshotId: `manual-${instance}-${stamp}-${suffix}`,
    export:
      req.export && db.export ? { prefix: db.export.prefix, taskId: `export-${stamp}-${suffix}` } : null,
    requestedBy: req.requestedBy,
    reason: req.reason ?? null,
    lock: {
      key: databaseLockKey(instance),
      owner: execution.id,
      procedure: 'db-backup',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateDbBackupInput = defineWorker({
  name: 'validate-db-backup-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveBackup(input, catalogue, execution),
  summarize: (r) => `${r.environment}/${r.service} is ${r.dbInstance}`,
});

export const handler = lambdaHandler(validateDbBackupInput);
