// scale-service's input as a person (or CI) writes it, and the request its first step resolves.
import { ApprovalRuleSchema, ReminderPolicySchema } from '../approvals/request.ts';
import { changeRequestField, serviceInputFields, startedByField } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

const scaleFields = {
  environment: serviceInputFields.environment,
  service: serviceInputFields.service,
  desiredCount: z.number().int().min(0).describe("the count to run, within the service's configured bounds"),
  reason: z.string().min(1).max(500).describe('why, for the notices and the record'),
  requestedBy: z.string().min(1).max(128).describe('who asks, for the notices and the record'),
  changeRequest: changeRequestField(),
  upOnly: z
    .boolean()
    .optional()
    .describe(
      "refuse, changing nothing, unless the count is above the service's desired count when the run reads it (a scale-up that must not turn into a scale-down)",
    ),
  // Set by Step Functions when incident-response runs the scale (associateWithParent).
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: startedByField('incident-response runs the scale'),
};

export const ScaleInputSchema = z.strictObject(scaleFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const ScaleInputFields = z.object(scaleFields);

/** What scale-service's first step resolves and every later step reads as $.request. */
export const ScaleRequestSchema = z.strictObject({
  procedure: z.literal('scale-service'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  targetGroupArn: z.string(),
  targetType: z.enum(['ip', 'instance']),
  desiredCount: z.number().int(),
  /** Only a scale-up may go ahead: a count at or below the service's is refused at the baseline. */
  upOnly: z.boolean(),
  /** The service's configured bounds: the count the run sets stays within them. */
  bounds: z.strictObject({ min: z.number().int(), max: z.number().int() }),
  /** A scale-down removing more than this fraction of the count needs an approval; null: none does. */
  scaleDownApprovalFraction: z.number().nullable(),
  /** The gate's fields: whether it may ask at all (the baseline decides whether it does). */
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.number().int(),
  approvalRule: ApprovalRuleSchema.nullable(),
  approvalReminders: ReminderPolicySchema,
  changeRequest: z.string().nullable(),
  reason: z.string(),
  requestedBy: z.string(),
  lock: LockSchema,
});
export type ScaleRequest = z.infer<typeof ScaleRequestSchema>;
