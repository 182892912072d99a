// Shared zod schemas: the environment catalogue (the part of the config the workers need),
// the procedures' inputs as a person or CI writes them, and the resolved request every later step reads.
import { z } from 'zod';

const identifier = (what: string, max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, `${what} may contain only letters, digits, '-' and '_'`);

/** RDS identifiers: letters, digits, hyphens; start with a letter; no '--'; no trailing '-'. */
export const dbInstanceId = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$/,
    'must be an RDS identifier (letter first, no "--", no trailing "-")',
  );

export const key = z
  .string()
  .max(40)
  .regex(/^[a-z](?:-?[a-z0-9])*$/, 'must be lower-case kebab-case (letter first, no "--", no trailing "-")');

export const ImageDigest = /^(?<repository>[^@\s]+)@sha256:[0-9a-f]{64}$/;

export const PolicySchema = z.strictObject({
  /** A person must approve before anything changes. */
  approvalRequired: z.boolean(),
  /** How long an approval request stays open before the run ends with ApprovalExpired. */
  approvalTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /** Take a database snapshot (and wait until it is available) before the service is touched. */
  snapshotRequired: z.boolean(),
  /** Only images pinned by digest (a tag can move between approval and deploy). */
  digestPinnedImages: z.boolean(),
  /** A change request (ticket) must be named in the input. */
  changeRequestRequired: z.boolean().default(false),
  /** Switch the maintenance page on during the rollout unless the input says otherwise. */
  maintenancePage: z.boolean().default(false),
  /** How long the alarms are watched after the targets are healthy; 0 skips the bake. */
  bakeMinutes: z.number().int().min(0).max(120),
});
export type Policy = z.infer<typeof PolicySchema>;

export const ServiceConfigSchema = z
  .strictObject({
    cluster: identifier('cluster', 255),
    service: identifier('service', 255),
    /** The container whose image a deployment replaces. */
    containerName: z.string().min(1).max(255),
    targetGroupArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/]+\/[0-9a-f]+$/,
        'must be a target group ARN',
      ),
    maintenancePage: z
      .strictObject({ cluster: identifier('cluster', 255).optional(), service: identifier('service', 255) })
      .optional(),
    /** The database guarded by a snapshot before each deployment. */
    database: dbInstanceId.optional(),
    alarms: z.array(z.string().min(1).max(255)).default([]),
    allowedRegistries: z.array(z.string().min(1)).min(1),
    desiredCount: z
      .strictObject({ min: z.number().int().min(0), max: z.number().int().min(1).max(1000) })
      .refine((d) => d.min <= d.max, 'min must not exceed max'),
    /** Roles the service's task definitions carry; the deploy worker may pass exactly these to ECS. */
    taskRoleArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'))
      .default([]),
  })
  .refine((s) => !s.maintenancePage || s.maintenancePage.service !== s.service, {
    message: 'the maintenance page must be another service',
    path: ['maintenancePage', 'service'],
  });
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

export const EnvironmentSchema = z.strictObject({
  policy: PolicySchema,
  /** Who may decide an approval (identities as the approval service verifies them). */
  approvers: z.array(z.string().min(1)).default([]),
  services: z
    .record(key, ServiceConfigSchema)
    .refine((s) => Object.keys(s).length > 0, 'at least one service'),
});
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;

/** What the validation workers resolve an input against; embedded in the definition by the CDK app. */
export const CatalogueSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
  environments: z
    .record(key, EnvironmentSchema)
    .refine((e) => Object.keys(e).length > 0, 'at least one environment'),
});
export type Catalogue = z.infer<typeof CatalogueSchema>;

/** The execution facts the first step reads from the context object ($$.Execution). */
export const ExecutionSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  startTime: z.string().min(1),
});
export type Execution = z.infer<typeof ExecutionSchema>;

const taskDefinitionArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/,
    'must be a task definition ARN (...:task-definition/<family>:<revision>)',
  );

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

export const ServiceRefSchema = z.object({ cluster: z.string().min(1), service: z.string().min(1) });
export type ServiceRef = z.infer<typeof ServiceRefSchema>;

export const LockSchema = z.object({
  key: z.string().min(1),
  owner: z.string().min(1),
  procedure: z.string().min(1),
  /** Join a lock the owner already holds (a deployment's own rollback) instead of taking it. */
  join: z.boolean().default(false),
  /** The single-use token the owner handed over to the run that joins. */
  joinToken: z.string().min(1).nullable().default(null),
  /** The run that joins (its own execution id), so that its join can be retried. */
  member: z.string().min(1).nullable().default(null),
});
export type Lock = z.infer<typeof LockSchema>;

/** Which images an environment accepts for a service. */
export const ImagePolicySchema = z.object({
  digestPinned: z.boolean(),
  allowedRegistries: z.array(z.string()),
});
export type ImagePolicy = z.infer<typeof ImagePolicySchema>;

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

/** One problem of an input: the field and what is wrong with it. */
export type Issue = { path: string; message: string };

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(input)',
    message: issue.message,
  }));
}

/** Formats zod issues as "field: message; field: message", the cause a person reads in the console. */
export function describeIssues(error: z.ZodError): string {
  return issuesOf(error)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
}

/** Every poll worker gets its round and its budget; the state machine carries them between rounds. */
export const PollSchema = z.object({
  attempt: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
});
