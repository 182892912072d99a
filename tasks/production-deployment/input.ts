// production-deployment's input as a person or CI writes it, and the request its first step resolves.

import { ApprovalRuleSchema, ReminderPolicySchema } from '../approvals/request.ts';
import {
  changeRequestField,
  ImagePolicySchema,
  ServiceRefSchema,
  serviceInputFields,
  taskDefinitionArn,
} from '../schemas/catalogue.ts';
import { LockSchema } from '../schemas/lock.ts';
import * as z from '../zod.ts';

/** production-deployment input, as pasted into the console or built by the CLI. Unknown fields are rejected. */
const deploymentFields = {
  environment: serviceInputFields.environment,
  service: serviceInputFields.service,
  image: z
    .string()
    .min(1)
    .max(255)
    // The characters an image reference is made of ([registry/]repository[:tag][@digest]); ECS would
    // refuse anything else at Register Task Definition, after the approval and the snapshot.
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/,
      'must be an image reference ([registry/]repository[:tag][@sha256:digest])',
    )
    .optional()
    .describe(
      'the new image (give it or taskDefinition); where digestPinnedImages, pinned by digest (<repository>@sha256:<64 hex>); from an allowed registry',
    ),
  taskDefinition: taskDefinitionArn
    .optional()
    .describe('or a task definition ARN of the same account and region, deployed as is'),
  desiredCount: serviceInputFields.desiredCount,
  maintenancePage: z
    .boolean()
    .optional()
    .describe('show the maintenance page during the rollout (default from policy)'),
  changeRequest: changeRequestField(),
  reason: z.string().min(1).max(500).optional().describe('why, for the notices and the record'),
  requestedBy: z.string().min(1).max(128).optional().describe('who asks, for the notices and the record'),
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

/** What production-deployment's first step resolves and every later step reads as $.request (its output is parsed with it). */
export const DeploymentRequestSchema = z.strictObject({
  procedure: z.literal('production-deployment'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  containerName: z.string(),
  targetGroupArn: z.string(),
  targetType: z.enum(['ip', 'instance']),
  alarms: z.array(z.string()),
  image: z.string().nullable(),
  taskDefinition: z.string().nullable(),
  desiredCount: z.number().int().nullable(),
  /** The service's configured desired-count bounds (the baseline must be within them too). */
  desiredCountBounds: z.object({ min: z.number().int(), max: z.number().int() }),
  database: z.string().nullable(),
  snapshotId: z.string().nullable(),
  /** Which old pre-deploy snapshots of the database a successful run deletes (null: none, or no snapshot). */
  snapshotRetention: z.object({ keepNewest: z.number().int(), minAgeDays: z.number().int() }).nullable(),
  maintenancePage: ServiceRefSchema.nullable(),
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.number().int(),
  /** Who may decide its approval (null where none is required). */
  approvalRule: ApprovalRuleSchema.nullable(),
  /** When a pending approval is announced again, and the on-call paged (fractions of the wait). */
  approvalReminders: ReminderPolicySchema,
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
