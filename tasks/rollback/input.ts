// rollback's input as a person (or production-deployment) writes it, and the request its first step resolves.
import { z } from 'zod';
import { ImagePolicySchema, ServiceRefSchema, taskDefinitionArn } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';

/** rollback input. Without taskDefinition the last known-good one recorded for the service is used. */
const rollbackFields = {
  environment: z.string().min(1),
  service: z.string().min(1),
  taskDefinition: taskDefinitionArn.optional(),
  desiredCount: z.number().int().min(0).optional(),
  reason: z.string().min(1).max(500),
  requestedBy: z.string().min(1).max(128).optional(),
  /**
   * Set by Step Functions when production-deployment runs the rollback (associateWithParent):
   * that run holds the lock (the rollback joins it), releases it itself, and sends the notices.
   */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.string().min(1).optional(),
  /** With it, the single-use token that deployment wrote onto its lock for this rollback. */
  joinToken: z.string().min(1).max(128).optional(),
  /** Maintenance page to switch off once the service is back (set by production-deployment). */
  maintenancePage: z
    .strictObject({ cluster: z.string().min(1), service: z.string().min(1) })
    .nullable()
    .optional(),
};

export const RollbackInputSchema = z.strictObject(rollbackFields);

/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const RollbackInputFields = z.object(rollbackFields);
export type RollbackInput = z.infer<typeof RollbackInputSchema>;

/** What rollback's first step resolves and every later step reads as $.request. */
export const RollbackRequestSchema = z.object({
  procedure: z.literal('rollback'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  targetGroupArn: z.string(),
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
