// After a restore's swap: a forced new deployment of each service using the database (the same task
// definition, new tasks), so that none keeps a connection to the instance that was put aside.
// Returns what the deployment's own checks follow: each service's new deployment and its revision.
// A retry (after a throttled call, say) does not force a service twice: one whose PRIMARY deployment
// was made since the step started is followed as it is.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { aws } from '../errors.ts';
import { updateService } from '../update-service.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ServiceUserSchema } from './input.ts';

export const redeployServices = defineWorker({
  name: 'redeploy-services',
  entry: import.meta.url,
  actions: updateService.actions,
  input: z.object({
    services: z.array(ServiceUserSchema).max(20),
    /** When the step started ($$.State.EnteredTime, the same on each retry). */
    now: z.string().min(1),
  }),
  run: async ({ services, now }, clients) => {
    const deployed = [];
    // One at a time, in the config's order: a refusal names the service, and those before it are rolling.
    for (const user of services) {
      const described = await aws('ECS DescribeServices', () =>
        clients.ecs.send(new DescribeServicesCommand({ cluster: user.cluster, services: [user.service] })),
      );
      const primary = described.services?.[0]?.deployments?.find((d) => d.status === 'PRIMARY');
      const ours = primary?.createdAt && primary.createdAt.getTime() >= Date.parse(now) ? primary : undefined;
      if (ours?.id && ours.taskDefinition) {
        deployed.push({ ...user, taskDefinition: ours.taskDefinition, deploymentId: ours.id });
        continue;
      }
      const updated = await updateService.run(
        {
          cluster: user.cluster,
          service: user.service,
          taskDefinition: null,
          desiredCount: null,
          forceNewDeployment: true,
        },
        clients,
      );
      deployed.push({ ...user, taskDefinition: updated.taskDefinition, deploymentId: updated.deploymentId });
    }
    return { services: deployed };
  },
  summarize: (r) => `new deployments of ${r.services.map((s) => s.name).join(', ') || 'no service'}`,
});

export const handler = lambdaHandler(redeployServices);
