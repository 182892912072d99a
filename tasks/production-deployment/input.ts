// production-deployment's input as a person or CI writes it, and the request its first step resolves.
import { z } from 'zod';
import { ImagePolicySchema, ServiceRefSchema, taskDefinitionArn } from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';

/** production-deployment input, as pasted into the console or built by the CLI. Unknown fields are rejected. */
const deploymentFields = {
  environment: z.string().min(1),
  service: z.string().min(1),
  /** The new container image; in environments that require it, pinned by digest. */
  image: z.string().min(1).max(255).optional(),
  /** Or a task definition already registered in the same account and region. */
  taskDefinition: taskDefinitionArn.optional(),
  desiredCount: z.number().int().min(0).optional(),
  maintenancePage: z.boolean().optional(),
  changeRequest: z.string().min(1).max(64).optional(),
  reason: z.string().min(1).max(500).optional(),
  requestedBy: z.string().min(1).max(128).optional(),
};

export const DeploymentInputSchema = z
  .strictObject(deploymentFields)
  .refine((i) => (i.image === undefined) !== (i.taskDefinition === undefined), {
    message: 'give exactly one of image or taskDefinition',
    path: ['image'],
  });

/** The same fields with unknown keys ignored, so that one answer can name every problem of an input. */
export const DeploymentInputFields = z.object(deploymentFields);
export type DeploymentInput = z.infer<typeof DeploymentInputSchema>;

/** What production-deployment's first step resolves and every later step reads as $.request. */
export const DeploymentRequestSchema = z.object({
  procedure: z.literal('production-deployment'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  containerName: z.string(),
  targetGroupArn: z.string(),
  alarms: z.array(z.string()),
  image: z.string().nullable(),
  taskDefinition: z.string().nullable(),
  desiredCount: z.number().int().nullable(),
  database: z.string().nullable(),
  snapshotId: z.string().nullable(),
  maintenancePage: ServiceRefSchema.nullable(),
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.number().int(),
  approvers: z.array(z.string()),
  bakeSeconds: z.number().int(),
  imagePolicy: ImagePolicySchema,
  /** What the run deploys, in words: "image …" or "task definition …". */
  change: z.string(),
  /** The roles the deploy worker may pass to ECS (the service's configured taskRoleArns). */
  taskRoleArns: z.array(z.string()),
  changeRequest: z.string().nullable(),
  reason: z.string().nullable(),
  requestedBy: z.string().nullable(),
  lock: LockSchema,
});
export type DeploymentRequest = z.infer<typeof DeploymentRequestSchema>;
