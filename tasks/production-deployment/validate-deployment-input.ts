// First step of production-deployment: checks the execution input against the schema and the
// environment's policy, resolves the service from the catalogue, and changes nothing.

import {
  approvalRuleFor,
  checkDesiredCount,
  checkTaskDefinitionArn,
  describeImageProblem,
  type Issue,
  imageProblems,
  issuesError,
  lookUpService,
  maintenancePageOf,
  snapshotIdFor,
} from '../catalogue.ts';
import { serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  DeploymentInputFields,
  DeploymentInputSchema,
  type DeploymentRequest,
  DeploymentRequestSchema,
} from './input.ts';

/** Validates a production-deployment input and resolves it against the catalogue; throws InvalidInput naming every problem. */
export function resolveDeployment(
  input: unknown,
  catalogue: Catalogue,
  execution: Execution,
): DeploymentRequest {
  // Every problem at once: schema issues (unknown fields among them) and, where the known fields
  // can be read, the environment's policy too.
  const strict = DeploymentInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : DeploymentInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { env, svc } = found;
  const { policy } = env;

  const imagePolicy = { digestPinned: policy.digestPinnedImages, allowedRegistries: svc.allowedRegistries };
  if (req.image !== undefined) {
    for (const problem of imageProblems(req.image, imagePolicy)) {
      issues.push({ path: 'image', message: describeImageProblem(problem, req, imagePolicy) });
    }
  }
  checkTaskDefinitionArn(catalogue, req.taskDefinition, issues);
  checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
  if (policy.changeRequestRequired && req.changeRequest === undefined) {
    issues.push({
      path: 'changeRequest',
      message: `${req.environment} requires a change request (ticket) for every deployment`,
    });
  }
  const maintenance = req.maintenancePage ?? policy.maintenancePage;
  if (req.maintenancePage === true && !svc.maintenancePage) {
    issues.push({ path: 'maintenancePage', message: `${req.service} has no maintenance page configured` });
  }
  if (issues.length > 0) throw issuesError(issues);

  const snapshot = policy.snapshotRequired && svc.database !== undefined;
  return DeploymentRequestSchema.parse({
    procedure: 'production-deployment',
    environment: req.environment,
    service: req.service,
    cluster: svc.cluster,
    serviceName: svc.service,
    containerName: svc.containerName,
    targetGroupArn: svc.targetGroupArn,
    targetType: svc.targetType,
    alarms: svc.alarms,
    image: req.image ?? null,
    taskDefinition: req.taskDefinition ?? null,
    desiredCount: req.desiredCount ?? null,
    desiredCountBounds: svc.desiredCount,
    database: svc.database ?? null,
    snapshotId: snapshot ? snapshotIdFor(req.service, execution) : null,
    snapshotRetention: snapshot ? policy.snapshotRetention : null,
    maintenancePage: maintenance ? maintenancePageOf(svc) : null,
    approvalRequired: policy.approvalRequired,
    approvalTimeoutSeconds: policy.approvalTimeoutMinutes * 60,
    approvalRule: policy.approvalRequired ? approvalRuleFor(catalogue, env, 'production-deployment') : null,
    approvalReminders: policy.approvalReminders,
    bakeSeconds: policy.bakeMinutes * 60,
    // Everything the run changes, as the approver reads it (and the summary hash covers it).
    change: [
      req.image !== undefined ? `image ${req.image}` : `task definition ${req.taskDefinition}`,
      req.desiredCount !== undefined && `desired count ${req.desiredCount}`,
      maintenance && 'maintenance page on during the rollout',
    ]
      .filter(Boolean)
      .join('; '),
    imagePolicy,
    taskRoleArns: svc.taskRoleArns,
    changeRequest: req.changeRequest ?? null,
    reason: req.reason ?? null,
    requestedBy: req.requestedBy ?? null,
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: execution.id,
      procedure: 'production-deployment',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateDeploymentInput = defineWorker({
  name: 'validate-deployment-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveDeployment(input, catalogue, execution),
  summarize: (r) => `${r.environment}/${r.service} is ${r.cluster}/${r.serviceName}`,
});

export const handler = lambdaHandler(validateDeploymentInput);
