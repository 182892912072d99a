// First step of health-check: checks the input and resolves what the environment's checks read from
// the config (its VPC tag, databases, services, alarm prefix, log groups); changes nothing.
import { type Issue, instancesOf, issuesError, lookUpEnvironment } from '../catalogue.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { EnvironmentRunInputFields, EnvironmentRunInputSchema } from '../schemas/environment-run.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type HealthRequest, HealthRequestSchema } from './input.ts';

/** Validates a health-check input against the catalogue; throws InvalidInput naming every problem. */
export function resolveHealthCheck(input: unknown, catalogue: Catalogue): HealthRequest {
  const strict = EnvironmentRunInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : EnvironmentRunInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const env = lookUpEnvironment(catalogue, req.environment, issues);
  if (!env || issues.length > 0) throw issuesError(issues);
  const { healthCheck } = env;
  return HealthRequestSchema.parse({
    procedure: 'health-check',
    environment: req.environment,
    service: 'health check',
    region: catalogue.region,
    requestedBy: req.requestedBy,
    reason: req.reason ?? null,
    vpcTag: healthCheck.vpcTag ?? { key: 'Environment', value: req.environment },
    databases: instancesOf(env),
    services: Object.entries(env.services).map(([name, svc]) => ({
      name,
      cluster: svc.cluster,
      service: svc.service,
      targetGroupArn: svc.targetGroupArn,
    })),
    alarmNamePrefix: healthCheck.alarmNamePrefix ?? null,
    logs: healthCheck.logs,
    notify: healthCheck.notify,
  });
}

export const validateHealthCheckInput = defineWorker({
  name: 'validate-health-check-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema }),
  run: async ({ input, catalogue }) => resolveHealthCheck(input, catalogue),
  summarize: (r) =>
    `${r.environment}: ${r.services.length} services, ${r.databases.length} databases, ${r.logs.length} log groups`,
});

export const handler = lambdaHandler(validateHealthCheckInput);
