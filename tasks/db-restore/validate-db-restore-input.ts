// First step of db-restore: checks the input and resolves the database, the names the restore will
// make and, for a swap, who approves it and which services use the database; changes nothing.
import { approvalRuleFor, type Issue, issuesError, lookUpDatabase } from '../catalogue.ts';
import { stampOf } from '../db-backup/validate-db-backup-input.ts';
import { databaseLockKey, serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  RestoreInputFields,
  RestoreInputSchema,
  type RestoreRequest,
  RestoreRequestSchema,
} from './input.ts';
import { asidePrefix, restoredPrefix } from './names.ts';

/** Validates a db-restore input against the catalogue; throws InvalidInput naming every problem. */
export function resolveRestore(input: unknown, catalogue: Catalogue, execution: Execution): RestoreRequest {
  const strict = RestoreInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : RestoreInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpDatabase(catalogue, req.environment, req.database, issues);
  if (!found) throw issuesError(issues);
  const { env, db, users } = found;
  const swap = req.cutover === 'swap';
  const rule = approvalRuleFor(catalogue, env, 'db-restore');
  if (swap && rule.approvers.length === 0)
    issues.push({
      path: 'cutover',
      message: `a swap is approved first, and ${req.environment} names no approvers (approvers, or procedureApprovals.db-restore)`,
    });
  if (swap && env.policy.changeRequestRequired && req.changeRequest === undefined)
    issues.push({
      path: 'changeRequest',
      message: `${req.environment} requires a change request (ticket) for a swap`,
    });
  if (issues.length > 0) throw issuesError(issues);
  const instance = db.instance.toLowerCase();
  const stamp = stampOf(execution);
  const restoredId = `${restoredPrefix(instance)}${stamp}`;
  const asideId = `${asidePrefix(instance)}${stamp}`;
  const using = swap
    ? users.map(({ name, svc }) => ({
        name,
        cluster: svc.cluster,
        service: svc.service,
        targetGroupArn: svc.targetGroupArn,
        targetType: svc.targetType,
      }))
    : [];
  return RestoreRequestSchema.parse({
    procedure: 'db-restore',
    environment: req.environment,
    service: req.database,
    dbInstance: instance,
    source: req.source,
    cutover: req.cutover,
    restoredId,
    asideId,
    users: using,
    monitoringRoleArn: db.monitoringRoleArn ?? null,
    approvalRequired: swap,
    approvalTimeoutSeconds: env.policy.approvalTimeoutMinutes * 60,
    approvalRule: swap ? rule : null,
    approvalReminders: env.policy.approvalReminders,
    change: swap
      ? `swap ${instance} for ${restoredId}: ${instance} is renamed ${asideId} and kept, ${restoredId} takes its name${using.length > 0 ? `, then ${using.map((u) => u.name).join(', ')} redeployed` : ''}`
      : `restore ${instance} into ${restoredId}, next to it; nothing is switched`,
    changeRequest: req.changeRequest ?? null,
    reason: req.reason ?? null,
    requestedBy: req.requestedBy,
    lock: {
      key: databaseLockKey(instance),
      owner: execution.id,
      procedure: 'db-restore',
      join: false,
      joinToken: null,
      member: null,
      ...(using.length > 0 && { also: using.map((u) => serviceLockKey(u.cluster, u.service)) }),
    },
  });
}

export const validateDbRestoreInput = defineWorker({
  name: 'validate-db-restore-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveRestore(input, catalogue, execution),
  summarize: (r) => `${r.environment}/${r.service} is ${r.dbInstance}; restoring into ${r.restoredId}`,
});

export const handler = lambdaHandler(validateDbRestoreInput);
