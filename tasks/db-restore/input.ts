// db-restore's input as a person (or CI) writes it, and the request its first step resolves.

import { ApprovalRuleSchema, ReminderPolicySchema } from '../approvals/request.ts';
import { databaseInputFields } from '../db-backup/input.ts';
import { changeRequestField } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import { RestoreSourceSchema } from '../schemas/restore-source.ts';
import * as z from '../zod.ts';

/** A service using the database, as a swap redeploys and checks it. */
export const ServiceUserSchema = z.object({
  /** The service's config key, as the notices name it. */
  name: z.string().min(1),
  cluster: z.string().min(1),
  service: z.string().min(1),
  targetGroupArn: z.string().min(1),
  targetType: z.enum(['ip', 'instance']),
});

const restoreFields = {
  ...databaseInputFields,
  source: RestoreSourceSchema.describe(
    '{"snapshot": "<id>" | "latest"} or {"pointInTime": "<ISO 8601>" | "latest-restorable"}',
  ),
  cutover: z
    .enum(['none', 'swap'])
    .describe(
      'none: restore next to the source and stop; swap: after an approval, put the restored instance in the place of the source (two renames) and redeploy the services using it',
    ),
  changeRequest: changeRequestField('for a swap where changeRequestRequired'),
};

export const RestoreInputSchema = z.strictObject(restoreFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const RestoreInputFields = z.object(restoreFields);

/** What db-restore's first step resolves and every later step reads as $.request. */
export const RestoreRequestSchema = z.strictObject({
  procedure: z.literal('db-restore'),
  environment: z.string(),
  /** The database's key: the target the notices name. */
  service: z.string(),
  dbInstance: z.string(),
  source: RestoreSourceSchema,
  cutover: z.enum(['none', 'swap']),
  /** The instance the restore makes, and (with a swap) the name the source is put aside under. */
  restoredId: z.string().max(63),
  asideId: z.string().max(63),
  /** The Enhanced Monitoring role the restored instance is given (the config's); null: none configured. */
  monitoringRoleArn: z.string().nullable(),
  /** The services using the database: redeployed after a swap (none with cutover none). */
  users: z.array(ServiceUserSchema),
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.number().int(),
  approvalRule: ApprovalRuleSchema.nullable(),
  approvalReminders: ReminderPolicySchema,
  /** The swap, in words, as the approver reads it. */
  change: z.string(),
  changeRequest: z.string().nullable(),
  reason: z.string().nullable(),
  requestedBy: z.string(),
  /** The database's lock; with a swap its `also` keys are the users' service locks. */
  lock: LockSchema,
});
export type RestoreRequest = z.infer<typeof RestoreRequestSchema>;
