// rollback's input as a person (or production-deployment) writes it, and the request its first step resolves.

import {
  ImagePolicySchema,
  ServiceRefSchema,
  serviceInputFields,
  startedByField,
  taskDefinitionArn,
} from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

/** rollback input. Without taskDefinition the last known-good one recorded for the service is used. */
const rollbackFields = {
  environment: serviceInputFields.environment,
  service: serviceInputFields.service,
  taskDefinition: taskDefinitionArn
    .optional()
    .describe(
      "the ARN to restore; default: from the known-good record of the last successful deployment, the release it replaced if the service still runs that deployment's release, else that release",
    ),
  desiredCount: serviceInputFields.desiredCount,
  reason: z.string().min(1).max(500).describe('why, for the notices and the record'),
  requestedBy: z.string().min(1).max(128).optional().describe('who asks, for the record'),
  // Set by Step Functions when production-deployment runs the rollback (associateWithParent):
  // that run holds the lock (the rollback joins it), releases it itself, and sends the notices.
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: startedByField('production-deployment runs the rollback'),
  joinToken: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('the single-use token that deployment wrote onto its lock for this rollback; not for people'),
  maintenancePage: z
    .strictObject({ cluster: z.string().min(1), service: z.string().min(1) })
    .nullable()
    .optional()
    .describe("the service's own maintenance page ({ cluster, service }) to switch off once it is back"),
};

export const RollbackInputSchema = z.strictObject(rollbackFields);

/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const RollbackInputFields = z.object(rollbackFields);
export type RollbackInput = z.infer<typeof RollbackInputSchema>;

/** What rollback's first step resolves and every later step reads as $.request (its output is parsed with it). */
export const RollbackRequestSchema = z.strictObject({
  procedure: z.literal('rollback'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  targetGroupArn: z.string(),
  targetType: z.enum(['ip', 'instance']),
  containerName: z.string(),
  imagePolicy: ImagePolicySchema,
  taskDefinition: z.string().nullable(),
  desiredCount: z.number().int().nullable(),
  maintenancePage: ServiceRefSchema.nullable(),
  reason: z.string(),
  requestedBy: z.string().nullable(),
  lock: LockSchema,
  /** The production-deployment run that started this rollback, or null when a person did. */
  parentExecution: z.string().nullable(),
});
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;
