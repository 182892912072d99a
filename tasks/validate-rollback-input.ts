// First step of rollback: checks the input and resolves the service; changes nothing.
import { z } from 'zod';
import {
  checkDesiredCount,
  checkTaskDefinitionArn,
  type Issue,
  issuesError,
  lookUpService,
  serviceLockKey,
} from './catalogue.ts';
import { InvalidInput } from './errors.ts';
import {
  type Catalogue,
  CatalogueSchema,
  describeIssues,
  type Execution,
  ExecutionSchema,
  LockSchema,
  RollbackInputSchema,
  ServiceRefSchema,
} from './schemas.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

/** What rollback's first step resolves and every later step reads as $.request. */
export const RollbackRequestSchema = z.object({
  procedure: z.literal('rollback'),
  environment: z.string(),
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  targetGroupArn: z.string(),
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

export function resolveRollback(input: unknown, catalogue: Catalogue, execution: Execution): RollbackRequest {
  const parsed = RollbackInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInput(`Invalid input: ${describeIssues(parsed.error)}`);
  const req = parsed.data;
  const issues: Issue[] = [];
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { svc } = found;
  checkTaskDefinitionArn(catalogue, req.taskDefinition, issues);
  const parent = req.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID ?? null;
  // Bounds apply to what a person asks for; a deployment's own rollback restores its baseline as it was.
  if (parent === null) checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
  if (issues.length > 0) throw issuesError(issues);
  return {
    procedure: 'rollback',
    environment: req.environment,
    service: req.service,
    cluster: svc.cluster,
    serviceName: svc.service,
    targetGroupArn: svc.targetGroupArn,
    taskDefinition: req.taskDefinition ?? null,
    desiredCount: req.desiredCount ?? null,
    maintenancePage: req.maintenancePage ?? null,
    reason: req.reason,
    requestedBy: req.requestedBy ?? null,
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: parent ?? execution.id,
      procedure: 'rollback',
    },
    parentExecution: parent,
  };
}

export const validateRollbackInput = defineWorker({
  name: 'validate-rollback-input',
  input: z.object({ input: z.unknown(), catalogue: CatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveRollback(input, catalogue, execution),
});

export const handler = lambdaHandler(validateRollbackInput);
