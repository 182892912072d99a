// First step of configure-autoscaling: checks the input and resolves the service and the auto
// scaling its config gives it; changes nothing.
import { METRICS } from '../autoscaling.ts';
import { type Issue, issuesError, lookUpService } from '../catalogue.ts';
import { serviceLockKey } from '../run-state.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { type Execution, ExecutionSchema } from '../schemas/execution.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import {
  ConfigureInputFields,
  ConfigureInputSchema,
  type ConfigureRequest,
  ConfigureRequestSchema,
} from './input.ts';

/** Validates a configure-autoscaling input against the catalogue; throws InvalidInput naming every problem. */
export function resolveConfigure(
  input: unknown,
  catalogue: Catalogue,
  execution: Execution,
): ConfigureRequest {
  const strict = ConfigureInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : ConfigureInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const found = lookUpService(catalogue, req.environment, req.service, issues);
  if (!found) throw issuesError(issues);
  const { env, svc } = found;
  const scaling = svc.autoScaling;
  if (!scaling)
    issues.push({
      path: 'service',
      message: `${req.service} has no autoScaling in the config: say its min, max and target there first`,
    });
  if (!req.check && env.policy.changeRequestRequired && req.changeRequest === undefined)
    issues.push({ path: 'changeRequest', message: `${req.environment} requires a change request (ticket)` });
  if (!scaling || issues.length > 0) throw issuesError(issues);
  return ConfigureRequestSchema.parse({
    procedure: 'configure-autoscaling',
    environment: req.environment,
    service: req.service,
    cluster: svc.cluster,
    serviceName: svc.service,
    check: req.check,
    wanted: {
      target: { min: scaling.min, max: scaling.max },
      suspended: false,
      policy: {
        metric: METRICS[scaling.metric],
        targetValue: scaling.targetPercent,
        scaleInCooldownSeconds: scaling.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: scaling.scaleOutCooldownSeconds,
      },
    },
    changeRequest: req.changeRequest ?? null,
    reason: req.reason ?? null,
    requestedBy: req.requestedBy,
    lock: {
      key: serviceLockKey(svc.cluster, svc.service),
      owner: execution.id,
      procedure: 'configure-autoscaling',
      join: false,
      joinToken: null,
      member: null,
    },
  });
}

export const validateConfigureInput = defineWorker({
  name: 'validate-configure-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema, execution: ExecutionSchema }),
  run: async ({ input, catalogue, execution }) => resolveConfigure(input, catalogue, execution),
  summarize: (r) =>
    `${r.environment}/${r.service}: ${r.check ? 'check' : 'apply'} min ${r.wanted.target.min} max ${r.wanted.target.max}, ${r.wanted.policy.metric} at ${r.wanted.policy.targetValue} %`,
});

export const handler = lambdaHandler(validateConfigureInput);
