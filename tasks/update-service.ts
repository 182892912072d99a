// Points a service at a task definition and/or desired count, with the runbook's zero-downtime
// settings (up to 200 %, never below 100 %), keeping the rest of the service's deployment
// configuration. Used by deploy, rollback and the maintenance page; a forced new deployment (the
// same task definition, new tasks) by a restore's cut-over, so the services reconnect.
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { aws } from './errors.ts';
import { defineWorker, lambdaHandler, lastPart } from './worker.ts';
import * as z from './zod.ts';

export const updateService = defineWorker({
  name: 'update-service',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'iam:PassRole'],
  input: z
    .object({
      cluster: z.string().min(1),
      service: z.string().min(1),
      taskDefinition: z.string().min(1).nullable().default(null),
      desiredCount: z.number().int().min(0).nullable().default(null),
      forceNewDeployment: z.boolean().default(false),
    })
    .refine(
      (i) => i.taskDefinition !== null || i.desiredCount !== null || i.forceNewDeployment,
      'nothing to change: give taskDefinition, desiredCount or forceNewDeployment',
    ),
  run: async ({ cluster, service, taskDefinition, desiredCount, forceNewDeployment }, { ecs }) => {
    // A deploymentConfiguration sent may replace the service's whole (nothing in the API promises to
    // merge it): the current one goes back with only the two percentages changed, so the circuit
    // breaker, its alarms and the strategy stay as the service has them.
    const current =
      taskDefinition === null
        ? undefined
        : await aws('ECS DescribeServices', () =>
            ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
          );
    const updated = await aws('ECS UpdateService', () =>
      ecs.send(
        new UpdateServiceCommand({
          cluster,
          service,
          ...(taskDefinition !== null && {
            taskDefinition,
            deploymentConfiguration: {
              ...current?.services?.[0]?.deploymentConfiguration,
              maximumPercent: 200,
              minimumHealthyPercent: 100,
            },
          }),
          ...(desiredCount !== null && { desiredCount }),
          ...(forceNewDeployment && { forceNewDeployment }),
        }),
      ),
    );
    const primary = updated.service?.deployments?.find((d) => d.status === 'PRIMARY');
    return {
      taskDefinition: primary?.taskDefinition ?? taskDefinition,
      desiredCount: updated.service?.desiredCount ?? desiredCount,
      deploymentId: primary?.id ?? null,
    };
  },
  summarize: (r) => `now ${lastPart(r.taskDefinition)}, desired ${r.desiredCount}`,
});

export const handler = lambdaHandler(updateService);
