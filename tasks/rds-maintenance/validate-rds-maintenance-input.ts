// First step of rds-maintenance: checks the input and resolves the database, the snapshot the run
// takes before the change, who approves, and the db-restore input that restores that snapshot next
// to the instance if the change fails (a person then decides to switch); changes nothing. Whether the change is one RDS can make is the next step's (it asks RDS).
import { approvalRuleFor, type Issue, issuesError, lookUpDatabase, runSuffix } from '../catalogue.ts';
import { stampOf } from '../db-backup/validate-db-backup-input.ts';
import { databaseLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  MaintenanceInputFields,
  MaintenanceInputSchema,
  type MaintenanceRequest,
  MaintenanceRequestSchema,
} from './input.ts';

/** The runbook's pre-upgrade snapshot, named for the instance, the minute and the run. */
export const preMaintenancePrefix = (instance: string) => `pre-maintenance-${instance.toLowerCase()}-`;

/** Validates an rds-maintenance input against the catalogue; throws InvalidInput naming every problem. */
export function resolveMaintenance(
  input: unknown,
  catalogue: Catalogue,
  execution: Execution,
): MaintenanceRequest {
  const strict = MaintenanceInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : MaintenanceInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  if (req.engineVersion === undefined && req.instanceClass === undefined)
    issues.push({ path: 'engineVersion', message: 'name the change: engineVersion, instanceClass, or both' });
  const found = lookUpDatabase(catalogue, req.environment, req.database, issues);
  if (!found) throw issuesError(issues);
  const { env, db } = found;
  const { policy } = env;
  if (policy.changeRequestRequired && req.changeRequest === undefined)
    issues.push({ path: 'changeRequest', message: `${req.environment} requires a change request (ticket)` });
  if (issues.length > 0) throw issuesError(issues);
  const instance = db.instance.toLowerCase();
  const snapshotId = `${preMaintenancePrefix(instance)}${stampOf(execution)}-${runSuffix(execution.id)}`;
  return MaintenanceRequestSchema.parse({
    procedure: 'rds-maintenance',
    environment: req.environment,
    service: req.database,
    dbInstance: instance,
    engineVersion: req.engineVersion ?? null,
    instanceClass: req.instanceClass ?? null,
    apply: req.apply,
    snapshotId,
    approvalRequired: policy.approvalRequired,
    approvalTimeoutSeconds: policy.approvalTimeoutMinutes * 60,
    approvalRule: policy.approvalRequired ? approvalRuleFor(catalogue, env, 'rds-maintenance') : null,
    approvalReminders: policy.approvalReminders,
    changeRequest: req.changeRequest ?? null,
    reason: req.reason ?? null,
    requestedBy: req.requestedBy,
    restoreInput: {
      environment: req.environment,
      database: req.database,
      source: { snapshot: snapshotId },
      cutover: 'none',
      ...(req.changeRequest !== undefined && { changeRequest: req.changeRequest }),
      requestedBy: req.requestedBy,
      reason: `Back to before the failed rds-maintenance run ${execution.name}`.slice(0, 500),
    },
    lock: {
      key: databaseLockKey(instance),
      owner: execution.id,
      procedure: 'rds-maintenance',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateRdsMaintenanceInput = defineWorker({
  name: 'validate-rds-maintenance-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveMaintenance(input, catalogue, execution),
  summarize: (r) =>
    `${r.environment}/${r.service} is ${r.dbInstance}; ${[r.engineVersion, r.instanceClass].filter(Boolean).join(' on ')}, ${r.apply}`,
});

export const handler = lambdaHandler(validateRdsMaintenanceInput);
