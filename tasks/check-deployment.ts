// One poll of an ECS rollout. Done only when the PRIMARY deployment carries the task definition we
// asked for, its rolloutState is COMPLETED and running == desired; the services-stable waiter checks
// none of that, and reports success after ECS rolled back on its own.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { aws, DeploymentFailed, DeploymentTimedOut, EcsRolledBack } from './errors.ts';
import { PollSchema } from './schemas.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

const family = (arn: string) => arn.split('/').pop() ?? arn;

export const checkDeployment = defineWorker({
  name: 'check-deployment',
  input: PollSchema.extend({
    cluster: z.string().min(1),
    service: z.string().min(1),
    /** Absent or null: any task definition (e.g. the maintenance page scaling up). */
    taskDefinition: z.string().min(1).nullable().default(null),
  }),
  run: async ({ cluster, service, taskDefinition, attempt, maxAttempts }, { ecs }) => {
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc = described.services?.[0];
    const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!svc || !primary)
      throw new DeploymentFailed(`service ${service} in ${cluster} has no PRIMARY deployment`);
    if (taskDefinition !== null && primary.taskDefinition !== taskDefinition) {
      throw new EcsRolledBack(
        `ECS rolled ${service} back on its own: the PRIMARY deployment carries ${family(primary.taskDefinition ?? 'nothing')}, not ${family(taskDefinition)}` +
          (primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''),
      );
    }
    if (primary.rolloutState === 'FAILED') {
      throw new DeploymentFailed(
        `rollout of ${family(primary.taskDefinition ?? '')} to ${service} FAILED: ${primary.rolloutStateReason ?? 'no reason given'} (${primary.failedTasks ?? 0} tasks failed)`,
      );
    }
    const running = primary.runningCount ?? 0;
    const desired = primary.desiredCount ?? 0;
    const done =
      primary.rolloutState === 'COMPLETED' && running === desired && svc.runningCount === svc.desiredCount;
    const observed = {
      rolloutState: primary.rolloutState ?? 'UNKNOWN',
      running,
      desired,
      deployments: svc.deployments?.length ?? 0,
    };
    if (!done && attempt + 1 >= maxAttempts) {
      throw new DeploymentTimedOut(
        `rollout to ${service} did not complete within ${maxAttempts} polls: ${observed.rolloutState}, ${running} of ${desired} running, ${observed.deployments} deployments`,
      );
    }
    return { done, attempt: attempt + 1, ...observed };
  },
});

export const handler = lambdaHandler(checkDeployment);
