// Captures what the service looks like before anything changes (the way back), and refuses to
// start a deployment on a service that is unhealthy, mid-deployment, or already alarming.
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { alarmStates } from '../alarms.ts';
import { aws, PreflightFailed } from '../errors.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';

export const captureBaseline = defineWorker({
  name: 'capture-baseline',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices', 'elasticloadbalancing:DescribeTargetHealth', 'cloudwatch:DescribeAlarms'],
  input: z.object({
    cluster: z.string().min(1),
    service: z.string().min(1),
    targetGroupArn: z.string().min(1),
    alarms: z.array(z.string()),
    /** The service's configured desired-count bounds: a baseline outside them is not one to go back to. */
    bounds: z.object({ min: z.number().int().min(0), max: z.number().int().min(0) }),
    /** The baseline captured earlier: after a long approval wait, the service must still match it. */
    expected: z.object({ taskDefinition: z.string() }).optional(),
  }),
  run: async ({ cluster, service, targetGroupArn, alarms, bounds, expected }, { ecs, elb, cloudwatch }) => {
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc = described.services?.find((s) => s.status === 'ACTIVE');
    if (!svc) throw new PreflightFailed(`service ${service} is not ACTIVE in cluster ${cluster}`);
    const deployments = svc.deployments ?? [];
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (!primary?.taskDefinition) throw new PreflightFailed(`service ${service} has no PRIMARY deployment`);
    if (deployments.length > 1 || primary.rolloutState !== 'COMPLETED') {
      throw new PreflightFailed(
        `service ${service} already has a deployment in progress (${deployments.length} deployments, PRIMARY ${primary.rolloutState})`,
      );
    }
    const desiredCount = svc.desiredCount ?? 0;
    const runningCount = svc.runningCount ?? 0;
    if (runningCount !== desiredCount) {
      throw new PreflightFailed(
        `service ${service} is not steady: ${runningCount} running of ${desiredCount} desired`,
      );
    }
    // A rollback restores the baseline's count: one outside the bounds would be kept, unnoticed, for good.
    if (desiredCount < bounds.min || desiredCount > bounds.max) {
      throw new PreflightFailed(
        `service ${service} runs ${desiredCount} tasks, outside its configured bounds (${bounds.min} to ${bounds.max}): fix the service or the config first`,
      );
    }

    const health = await aws('ELBv2 DescribeTargetHealth', () =>
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    const targets = health.TargetHealthDescriptions ?? [];
    const healthyTargets = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
    if (healthyTargets < desiredCount) {
      throw new PreflightFailed(
        `service ${service} is not healthy: ${healthyTargets} healthy targets for ${desiredCount} desired tasks`,
      );
    }

    let states: { name: string; state: string }[] = [];
    if (alarms.length > 0) {
      states = (await alarmStates(cloudwatch, alarms)).map(({ name, state }) => ({ name, state }));
      const missing = alarms.filter((name) => !states.some((a) => a.name === name));
      if (missing.length > 0)
        throw new PreflightFailed(`configured alarms do not exist: ${missing.join(', ')}`);
      const firing = states.filter((a) => a.state === 'ALARM').map((a) => a.name);
      if (firing.length > 0)
        throw new PreflightFailed(`alarms already in ALARM before the deployment: ${firing.join(', ')}`);
    }

    // The task definition must not have moved; the count may (autoscaling), and the preflight above still holds.
    if (expected && expected.taskDefinition !== primary.taskDefinition) {
      throw new PreflightFailed(
        `${service} changed while the approval was pending (now ${primary.taskDefinition}, was ${expected.taskDefinition}); ` +
          'nothing was changed: start a new run',
      );
    }

    return {
      taskDefinition: primary.taskDefinition,
      desiredCount,
      runningCount,
      healthyTargets,
      alarms: states,
    };
  },
  summarize: (r) =>
    `running ${lastPart(r.taskDefinition)}, ${r.runningCount}/${r.desiredCount} tasks, ${r.healthyTargets} healthy targets`,
});

export const handler = lambdaHandler(captureBaseline);
