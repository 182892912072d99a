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
  /** False when a parent run (production-deployment) holds the lock and releases it itself. */
  releaseLock: z.boolean(),
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
  checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
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
      owner: req.parentExecution ?? execution.id,
      procedure: 'rollback',
    },
    releaseLock: req.parentExecution === undefined,
  };
}

export const validateRollbackInput = defineWorker({
  name: 'validate-rollback-input',
  input: z.object({ input: z.unknown(), catalogue: CatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveRollback(input, catalogue, execution),
});

export const handler = lambdaHandler(validateRollbackInput);
