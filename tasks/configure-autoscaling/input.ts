// configure-autoscaling's input as a person (or its CI) writes it, and the request its first step resolves.
import { AutoScalingStateSchema } from '../autoscaling.ts';
import { changeRequestField, serviceInputFields } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

const configureFields = {
  environment: serviceInputFields.environment,
  service: serviceInputFields.service,
  check: z
    .boolean()
    .default(false)
    .describe(
      'true: only report how the account differs from the config (read-only, no lock); false: make it as the config says',
    ),
  requestedBy: z.string().min(1).max(128).describe('who asks, for the notices and the record'),
  reason: z.string().min(1).max(500).optional().describe('why, for the notices and the record'),
  changeRequest: changeRequestField('to apply where changeRequestRequired'),
};

export const ConfigureInputSchema = z.strictObject(configureFields);
/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const ConfigureInputFields = z.object(configureFields);

/** What configure-autoscaling's first step resolves and every later step reads as $.request. */
export const ConfigureRequestSchema = z.strictObject({
  procedure: z.literal('configure-autoscaling'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  check: z.boolean(),
  /** What the config says the service's auto scaling is. */
  wanted: AutoScalingStateSchema.extend({
    target: AutoScalingStateSchema.shape.target.unwrap(),
    suspended: z.literal(false),
    policy: AutoScalingStateSchema.shape.policy.unwrap(),
  }),
  changeRequest: z.string().nullable(),
  reason: z.string().nullable(),
  requestedBy: z.string(),
  lock: LockSchema,
});
export type ConfigureRequest = z.infer<typeof ConfigureRequestSchema>;
