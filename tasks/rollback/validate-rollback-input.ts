// First step of rollback: checks the input and resolves the service; changes nothing.

import {
  checkDesiredCount,
  checkParent,
  checkTaskDefinitionArn,
  type Issue,
  issuesError,
  lookUpService,
  maintenancePageOf,
} from '../catalogue.ts';
import { serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  RollbackInputFields,
  RollbackInputSchema,
  type RollbackRequest,
  RollbackRequestSchema,
} from './input.ts';

/**
 * Validates a rollback input and resolves it against the catalogue; throws InvalidInput naming every
 * problem. `parents`: the state machines that run the rollback nested (from the registry).
 */
export function resolveRollback(
  input: unknown,
  catalogue: Catalogue,
  execution: Execution,
  parents: readonly string[],
): RollbackRequest {
  const strict = RollbackInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : RollbackInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { svc } = found;
  checkTaskDefinitionArn(catalogue, req.taskDefinition, issues);
  const parent = req.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID ?? null;
  checkParent(catalogue, parents, 'rollback', req.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, issues);
  // Only the service's own maintenance page can be switched off by its rollback.
  const page = maintenancePageOf(svc);
  if (
    req.maintenancePage &&
    (req.maintenancePage.cluster !== page?.cluster || req.maintenancePage.service !== page?.service)
  ) {
    issues.push({
      path: 'maintenancePage',
      message: page
        ? `must be ${req.service}'s maintenance page (${page.cluster}/${page.service})`
        : `${req.service} has no maintenance page configured`,
    });
  }
  if ((parent === null) !== (req.joinToken === undefined)) {
    issues.push({
      path: 'joinToken',
      message:
        'given exactly when the procedure that runs the rollback starts it (with the token it wrote onto its lock)',
    });
  }
  // Bounds apply to what a person asks for; a deployment's own rollback restores its baseline as it was.
  if (parent === null) checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
  if (issues.length > 0) throw issuesError(issues);
  return RollbackRequestSchema.parse({
    procedure: 'rollback',
    environment: req.environment,
    service: req.service,
    cluster: svc.cluster,
    serviceName: svc.service,
    targetGroupArn: svc.targetGroupArn,
    targetType: svc.targetType,
    containerName: svc.containerName,
    imagePolicy: {
      digestPinned: found.env.policy.digestPinnedImages,
      allowedRegistries: svc.allowedRegistries,
    },
    taskDefinition: req.taskDefinition ?? null,
    desiredCount: req.desiredCount ?? null,
    maintenancePage: req.maintenancePage ?? null,
    reason: req.reason,
    requestedBy: req.requestedBy ?? null,
    // Started by a deployment, the rollback joins that run's lock, and is refused if it does not hold it.
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: parent ?? execution.id,
      procedure: 'rollback',
      join: parent !== null,
      joinToken: req.joinToken ?? null,
      member: parent !== null ? execution.id : null,
    },
    parentExecution: parent,
  });
}

export const validateRollbackInput = defineWorker({
  name: 'validate-rollback-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    input: z.unknown(),
    catalogue: EmbeddedCatalogueSchema,
    execution: ExecutionSchema,
    /** The state machines that run the rollback nested. */
    parents: z.array(z.string().min(1)).default([]),
  }),
  run: async ({ input, catalogue, execution, parents }) =>
    resolveRollback(input, catalogue, execution, parents),
  summarize: (r) => `${r.environment}/${r.service} is ${r.cluster}/${r.serviceName}`,
});

export const handler = lambdaHandler(validateRollbackInput);
