// rds-maintenance's input as a person (or CI) writes it, and the request its first step resolves.

import { ApprovalRuleSchema, ReminderPolicySchema } from '../approvals/request.ts';
import { databaseInputFields } from '../db-backup/input.ts';
import { RestoreInputSchema } from '../db-restore/input.ts';
import { changeRequestField } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

const maintenanceFields = {
  ...databaseInputFields,
  engineVersion: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .describe('the minor engine version to upgrade to, e.g. 15.7 (a valid upgrade target, per RDS)'),
  instanceClass: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .describe('the DB instance class to change to, e.g. db.r6g.xlarge'),
  apply: z
    .enum(['now', 'window'])
    .describe(
      "now: apply as soon as it is approved (the instance is unavailable for minutes); window: in the instance's weekly maintenance window, which the run waits for (at once inside it)",
    ),
  changeRequest: changeRequestField(),
};

export const MaintenanceInputSchema = z.strictObject(maintenanceFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const MaintenanceInputFields = z.object(maintenanceFields);

/** What rds-maintenance's first step resolves and every later step reads as $.request. */
export const MaintenanceRequestSchema = z.strictObject({
  procedure: z.literal('rds-maintenance'),
  environment: z.string(),
  /** The database's key: the target the notices name. */
  service: z.string(),
  dbInstance: z.string(),
  engineVersion: z.string().nullable(),
  instanceClass: z.string().nullable(),
  apply: z.enum(['now', 'window']),
  /** The snapshot taken before the change. */
  snapshotId: z.string(),
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.number().int(),
  approvalRule: ApprovalRuleSchema.nullable(),
  approvalReminders: ReminderPolicySchema,
  changeRequest: z.string().nullable(),
  reason: z.string().nullable(),
  requestedBy: z.string(),
  /** The db-restore input that restores the pre-change snapshot next to the instance: named if the change fails. */
  restoreInput: RestoreInputSchema,
  lock: LockSchema,
});
export type MaintenanceRequest = z.infer<typeof MaintenanceRequestSchema>;
