// First step of scale-service: checks the input and resolves the service, its bounds and who may
// approve a large scale-down; changes nothing.
import {
  approvalRuleFor,
  checkDesiredCount,
  checkParent,
  type Issue,
  issuesError,
  lookUpService,
} from '../catalogue.ts';
import { serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ScaleInputFields, ScaleInputSchema, type ScaleRequest, ScaleRequestSchema } from './input.ts';

/** Validates a scale-service input against the catalogue; throws InvalidInput naming every problem. */
export function resolveScale(
  input: unknown,
  catalogue: Catalogue,
  execution: Execution,
  parents: readonly string[] = [],
): ScaleRequest {
  const strict = ScaleInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : ScaleInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { env, svc } = found;
  const { policy } = env;
  checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
  checkParent(catalogue, parents, 'scale-service', req.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, issues);
  if (policy.changeRequestRequired && req.changeRequest === undefined)
    issues.push({ path: 'changeRequest', message: `${req.environment} requires a change request (ticket)` });
  if (issues.length > 0) throw issuesError(issues);
  return ScaleRequestSchema.parse({
    procedure: 'scale-service',
    environment: req.environment,
    service: req.service,
    cluster: svc.cluster,
    serviceName: svc.service,
    targetGroupArn: svc.targetGroupArn,
    targetType: svc.targetType,
    desiredCount: req.desiredCount,
    upOnly: req.upOnly ?? false,
    bounds: svc.desiredCount,
    scaleDownApprovalFraction: policy.scaleDownApprovalFraction,
    approvalRequired: policy.approvalRequired && policy.scaleDownApprovalFraction !== null,
    approvalTimeoutSeconds: policy.approvalTimeoutMinutes * 60,
    approvalRule: policy.approvalRequired ? approvalRuleFor(catalogue, env, 'scale-service') : null,
    approvalReminders: policy.approvalReminders,
    changeRequest: req.changeRequest ?? null,
    reason: req.reason,
    requestedBy: req.requestedBy,
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: execution.id,
      procedure: 'scale-service',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateScaleInput = defineWorker({
  name: 'validate-scale-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({
    input: z.unknown(),
    catalogue: EmbeddedCatalogueSchema,
    execution: ExecutionSchema,
    /** The state machines that run scale-service nested. */
    parents: z.array(z.string().min(1)).default([]),
  }),
  run: async ({ input, catalogue, execution, parents }) => resolveScale(input, catalogue, execution, parents),
  summarize: (r) => `${r.environment}/${r.service} (${r.cluster}/${r.serviceName}) to ${r.desiredCount}`,
});

export const handler = lambdaHandler(validateScaleInput);
