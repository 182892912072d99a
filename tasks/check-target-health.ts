// One poll of the new tasks' targets. Only targets of tasks running the task definition we deployed
// count; draining old targets and an empty target group never read as healthy.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { aws, TargetsUnhealthy } from './errors.ts';
import { PollSchema } from './schemas/poll.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

export const checkTargetHealth = defineWorker({
  name: 'check-target-health',
  entry: import.meta.url,
  actions: [
    'ecs:DescribeServices',
    'elasticloadbalancing:DescribeTargetHealth',
    'ecs:ListTasks',
    'ecs:DescribeTasks',
  ],
  input: PollSchema.extend({
    cluster: z.string().min(1),
    service: z.string().min(1),
    targetGroupArn: z.string().min(1),
    taskDefinition: z.string().min(1),
    /** Consecutive polls in which some new target was unhealthy. */
    unhealthyStreak: z.number().int().min(0).default(0),
    /** That many consecutive unhealthy polls end the wait (persistent, not a blip). */
    unhealthyLimit: z.number().int().min(1),
  }),
  run: async (input, { ecs, elb }) => {
    const { cluster, service, targetGroupArn, taskDefinition, attempt, maxAttempts, unhealthyLimit } = input;
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc = described.services?.[0];
    // A missing service would read as "0 desired, done": never healthy.
    if (!svc) throw new TargetsUnhealthy(`service ${service} not found in cluster ${cluster}`);
    const desired = svc.desiredCount ?? 0;

    // ListTasks pages at 100 and DescribeTasks takes at most 100 tasks; a rollout at 200 % of more
    // than 50 tasks runs more than 100.
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const listed = await aws('ECS ListTasks', () =>
        ecs.send(
          new ListTasksCommand({
            cluster,
            serviceName: service,
            desiredStatus: 'RUNNING',
            ...(token && { nextToken: token }),
          }),
        ),
      );
      taskArns.push(...(listed.taskArns ?? []));
      nextToken = listed.nextToken;
    } while (nextToken);
    const tasks: Task[] = [];
    for (let i = 0; i < taskArns.length; i += 100) {
      const batch = taskArns.slice(i, i + 100);
      const page = await aws('ECS DescribeTasks', () =>
        ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })),
      );
      tasks.push(...(page.tasks ?? []));
    }
    const newTaskIps = new Set(
      tasks
        .filter((t) => t.taskDefinitionArn === taskDefinition && t.lastStatus === 'RUNNING')
        .flatMap((t) => t.attachments ?? [])
        .flatMap((a) => a.details ?? [])
        .filter((d) => d.name === 'privateIPv4Address' && d.value)
        .map((d) => d.value as string),
    );

    const health = await aws('ELBv2 DescribeTargetHealth', () =>
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    const ours = (health.TargetHealthDescriptions ?? []).filter(
      (t) => t.Target?.Id && newTaskIps.has(t.Target.Id),
    );
    const healthy = ours.filter((t) => t.TargetHealth?.State === 'healthy').length;
    const unhealthy = ours.filter((t) => t.TargetHealth?.State === 'unhealthy');
    const unhealthyStreak = unhealthy.length > 0 ? input.unhealthyStreak + 1 : 0;
    const reasons = unhealthy.map((t) =>
      `${t.Target?.Id} ${t.TargetHealth?.Reason ?? ''} ${t.TargetHealth?.Description ?? ''}`.trim(),
    );

    if (unhealthyStreak >= unhealthyLimit) {
      throw new TargetsUnhealthy(
        `${unhealthy.length} of ${ours.length} new targets of ${service} unhealthy for ${unhealthyStreak} polls in a row: ${reasons.join('; ')}`,
      );
    }
    const done = desired === 0 || healthy >= desired;
    if (!done && attempt + 1 >= maxAttempts) {
      const states = ours.map(
        (t) =>
          `${t.Target?.Id} ${t.TargetHealth?.State}${t.TargetHealth?.Reason ? ` (${t.TargetHealth.Reason})` : ''}`,
      );
      throw new TargetsUnhealthy(
        `only ${healthy} of ${desired} new targets of ${service} became healthy within ${maxAttempts} polls: ${states.join('; ') || 'no targets registered for the new tasks'}`,
      );
    }
    return { done, attempt: attempt + 1, unhealthyStreak, healthy, desired, registered: ours.length };
  },
  summarize: (r) => `${r.healthy}/${r.desired} new targets healthy (${r.registered} registered)`,
});

export const handler = lambdaHandler(checkTargetHealth);
