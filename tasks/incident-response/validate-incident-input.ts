// First step of incident-response: checks the input and resolves the service, what the diagnostics
// read, and where an incident of its severity is announced; changes nothing.
import { checkDesiredCount, type Issue, issuesError, lookUpService } from '../catalogue.ts';
import { serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema, type IncidentSeverity } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  IncidentInputFields,
  IncidentInputSchema,
  type IncidentRequest,
  IncidentRequestSchema,
} from './input.ts';

/** The runbook's Severity Levels: whom each reaches, and how loud it is on the runbook's own topic. */
export const SEVERITY_ROUTES: Record<
  IncidentSeverity,
  { audience: string; severity: 'info' | 'warning' | 'page' }
> = {
  P0: { audience: 'pages on-call and notifies leadership', severity: 'page' },
  P1: { audience: 'alerts on-call', severity: 'page' },
  P2: { audience: 'the team channel', severity: 'warning' },
  P3: { audience: 'a ticket', severity: 'info' },
};

/** Validates an incident-response input against the catalogue; throws InvalidInput naming every problem. */
export function resolveIncident(input: unknown, catalogue: Catalogue, execution: Execution): IncidentRequest {
  const strict = IncidentInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : IncidentInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { env, svc } = found;
  if (req.action === 'scale-up') {
    if (req.desiredCount === undefined)
      issues.push({ path: 'desiredCount', message: 'scale-up needs the count to run' });
    else checkDesiredCount(svc.desiredCount, req.service, req.desiredCount, issues);
  } else if (req.desiredCount !== undefined)
    issues.push({ path: 'desiredCount', message: `only scale-up takes a count, not ${req.action}` });
  if (issues.length > 0) throw issuesError(issues);
  const route = SEVERITY_ROUTES[req.severity];
  return IncidentRequestSchema.parse({
    procedure: 'incident-response',
    environment: req.environment,
    service: req.service,
    region: catalogue.region,
    cluster: svc.cluster,
    serviceName: svc.service,
    targetGroupArn: svc.targetGroupArn,
    targetType: svc.targetType,
    severity: req.severity,
    action: req.action,
    incident: req.incident,
    desiredCount: req.desiredCount ?? null,
    bounds: svc.desiredCount,
    database: svc.database?.toLowerCase() ?? null,
    logs: env.healthCheck.logs,
    route: { topicArns: env.incidents?.[req.severity] ?? [], ...route },
    reason: req.reason ?? null,
    requestedBy: req.requestedBy,
    changeRequest: req.incident,
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: execution.id,
      procedure: 'incident-response',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateIncidentInput = defineWorker({
  name: 'validate-incident-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveIncident(input, catalogue, execution),
  summarize: (r) =>
    `${r.severity} ${r.incident}: ${r.action} of ${r.environment}/${r.service} (${r.cluster}/${r.serviceName})`,
});

export const handler = lambdaHandler(validateIncidentInput);
