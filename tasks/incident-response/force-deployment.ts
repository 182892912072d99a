// The runbook's fix for an application crash loop: a forced new deployment (the same task
// definition, new tasks). Refused while a deployment is under way (a rollout to follow or roll
// back, not to force over). A retry does not force twice: a PRIMARY deployment made since the step
// started is this step's, and is followed as it is.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { aws, PreflightFailed } from '../errors.ts';
import { updateService } from '../update-service.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';

export const forceDeployment = defineWorker({
  name: 'force-deployment',
  entry: import.meta.url,
  actions: updateService.actions,
  input: z.object({
    cluster: z.string().min(1),
    service: z.string().min(1),
    /** When the step started ($$.State.EnteredTime, the same on each retry). */
    now: z.iso.datetime({ offset: true }),
  }),
  run: async ({ cluster, service, now }, clients) => {
    const described = await aws('ECS DescribeServices', () =>
      clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc = described.services?.[0];
    const deployments = svc?.deployments ?? [];
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (svc?.status !== 'ACTIVE' || !primary?.taskDefinition || !primary.id)
      throw new PreflightFailed(`${cluster}/${service} is not an active service with a PRIMARY deployment`);
    const before = { desiredCount: svc.desiredCount ?? 0, runningCount: svc.runningCount ?? 0 };
    if (primary.createdAt && primary.createdAt.getTime() >= Date.parse(now))
      return { taskDefinition: primary.taskDefinition, deploymentId: primary.id, ...before };
    if (deployments.length > 1 || primary.rolloutState !== 'COMPLETED')
      throw new PreflightFailed(
        `a deployment of ${service} is under way (${deployments.length} deployments, the PRIMARY ${primary.rolloutState ?? 'in an unknown state'}): follow it or roll it back rather than force another over it`,
      );
    const forced = await updateService.run(
      { cluster, service, taskDefinition: null, desiredCount: null, forceNewDeployment: true },
      clients,
    );
    if (!forced.deploymentId || !forced.taskDefinition)
      throw new PreflightFailed(`ECS started no deployment of ${service} on a forced new deployment`);
    return { taskDefinition: forced.taskDefinition, deploymentId: forced.deploymentId, ...before };
  },
  summarize: (r) =>
    `new deployment ${r.deploymentId} of ${lastPart(r.taskDefinition)} (${r.runningCount} of ${r.desiredCount} were running)`,
});

export const handler = lambdaHandler(forceDeployment);
