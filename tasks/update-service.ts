// Points a service at a task definition and/or desired count, with the runbook's zero-downtime
// settings (up to 200 %, never below 100 %). Used by deploy, rollback and the maintenance page.
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { aws } from './errors.ts';
import { defineWorker, lambdaHandler, lastPart } from './worker.ts';

export const updateService = defineWorker({
  name: 'update-service',
  entry: import.meta.url,
  actions: ['ecs:UpdateService'],
  input: z
    .object({
      cluster: z.string().min(1),
      service: z.string().min(1),
      taskDefinition: z.string().min(1).nullable().default(null),
      desiredCount: z.number().int().min(0).nullable().default(null),
    })
    .refine(
      (i) => i.taskDefinition !== null || i.desiredCount !== null,
      'nothing to change: give taskDefinition or desiredCount',
    ),
  run: async ({ cluster, service, taskDefinition, desiredCount }, { ecs }) => {
    const updated = await aws('ECS UpdateService', () =>
      ecs.send(
        new UpdateServiceCommand({
          cluster,
          service,
          ...(taskDefinition !== null && {
            taskDefinition,
            deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
          }),
          ...(desiredCount !== null && { desiredCount }),
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
