// One poll of an ECS rollout. Done only when the PRIMARY deployment is ours (the one our
// UpdateService started, carrying the task definition we asked for), its rolloutState is COMPLETED,
// running == desired, and (for a service behind a load balancer) as many of the new tasks' targets
// are healthy. The services-stable waiter checks none of that, and reports success after ECS rolled
// back on its own. The new targets are read on every poll, so a release that answers the health
// check wrongly fails the run after `unhealthyLimit` polls in a row, before ECS's own grace period
// and circuit breaker would act.
import { type Deployment, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { aws, DeploymentFailed, DeploymentTimedOut, EcsRolledBack, TargetsUnhealthy } from './errors.ts';
import { PollSchema } from './schemas/poll.ts';
import { describeTarget, newTargets } from './targets.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

const family = (arn: string) => arn.split('/').pop() ?? arn;

/** The deployment circuit breaker's failure threshold (ECS Developer Guide): half the desired count, at least 3, at most 200. */
export function circuitBreakerThreshold(desired: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));
}

export const checkDeployment = defineWorker({
  name: 'check-deployment',
  entry: import.meta.url,
  actions: [
    'ecs:DescribeServices',
    'ecs:ListTasks',
    'ecs:DescribeTasks',
    'ecs:DescribeContainerInstances',
    'elasticloadbalancing:DescribeTargetHealth',
  ],
  input: PollSchema.extend({
    cluster: z.string().min(1),
    service: z.string().min(1),
    /** Absent or null: any task definition (e.g. the maintenance page scaling up). */
    taskDefinition: z.string().min(1).nullable().default(null),
    /** The deployment our UpdateService started (or found PRIMARY), when known. */
    deploymentId: z.string().min(1).nullable().default(null),
    /** The desired count our UpdateService set, when it set one. */
    desiredCount: z.number().int().min(0).nullable().default(null),
    /**
     * Instead, the desired counts that count as done: a scaler holding a manual count may move it
     * further the same way (within its bounds), which is not a failure of the change.
     */
    desiredRange: z.object({ min: z.number().int(), max: z.number().int() }).nullable().default(null),
    /**
     * Whether our change started a deployment. A count alone does not: the PRIMARY's failed tasks
     * then include those of whatever ran before, and are not ours to count against a breaker.
     */
    deploymentMade: z.boolean().default(true),
    /** The service's target group, when it has one: its new targets must be healthy too. */
    targets: z
      .object({
        targetGroupArn: z.string().min(1),
        targetType: z.enum(['ip', 'instance']),
        /** That many consecutive polls with an unhealthy new target fail the rollout (persistent, not a blip). */
        unhealthyLimit: z.number().int().min(1),
      })
      .nullable()
      .default(null),
    /** Consecutive polls so far in which some new target was unhealthy. */
    unhealthyStreak: z.number().int().min(0).default(0),
    /** When this poll runs ($$.State.EnteredTime): a target's grace period is counted from it. */
    now: z.string().min(1).nullable().default(null),
  }),
  run: async (
    {
      cluster,
      service,
      taskDefinition,
      deploymentId,
      desiredCount,
      desiredRange,
      deploymentMade,
      targets,
      now,
      attempt,
      maxAttempts,
      ...rest
    },
    { ecs, elb },
  ) => {
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const svc = described.services?.[0];
    const deployments = svc?.deployments ?? [];
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (!svc || !primary)
      throw new DeploymentFailed(`service ${service} in ${cluster} has no PRIMARY deployment`);
    const ours = deploymentId === null ? undefined : deployments.find((d) => d.id === deploymentId);
    const carries = `the PRIMARY deployment carries ${family(primary.taskDefinition ?? 'nothing')}`;
    const rolledBack = (why: string) =>
      new EcsRolledBack(
        `ECS rolled ${service} back on its own: ${why}` +
          (primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''),
      );

    // ECS's API is eventually consistent: right after UpdateService our deployment may not show
    // yet, so the first poll that misses it is "not done", not a rollback.
    const visible = deploymentId === null || ours !== undefined;
    if (!visible && attempt === 0) return notDone(attempt, primary, svc.deployments?.length ?? 0);
    if (ours !== undefined && ours.status !== 'PRIMARY')
      throw rolledBack(`our deployment ${deploymentId} is no longer PRIMARY; ${carries}`);
    if (taskDefinition !== null && primary.taskDefinition !== taskDefinition) {
      throw rolledBack(`${carries}, not ${family(taskDefinition)}`);
    }
    // Past the first poll, a deployment of ours that is not listed was replaced (by someone's forced
    // deployment, say, even of the same task definition): what rolls out now is not what we started.
    if (!visible) {
      throw new DeploymentFailed(
        `our deployment ${deploymentId} of ${service} is gone: another deployment (${primary.id ?? 'unknown'}) replaced it; ${carries}`,
      );
    }
    if (primary.rolloutState === 'FAILED') {
      throw new DeploymentFailed(
        `rollout of ${family(primary.taskDefinition ?? '')} to ${service} FAILED: ${primary.rolloutStateReason ?? 'no reason given'} (${primary.failedTasks ?? 0} tasks failed)`,
      );
    }
    // Without a circuit breaker ECS never fails a rollout whose tasks keep failing to start: the run
    // does, at the breaker's own threshold, instead of waiting out its poll budget.
    const failed = primary.failedTasks ?? 0;
    if (
      deploymentMade &&
      svc.deploymentConfiguration?.deploymentCircuitBreaker?.enable !== true &&
      failed >= circuitBreakerThreshold(primary.desiredCount ?? 0)
    ) {
      throw new DeploymentFailed(
        `${failed} tasks of ${family(primary.taskDefinition ?? '')} failed to start in ${service}, which has no deployment circuit breaker to stop the rollout`,
      );
    }
    const running = primary.runningCount ?? 0;
    const desired = primary.desiredCount ?? 0;
    const rolledOut =
      primary.rolloutState === 'COMPLETED' &&
      running === desired &&
      svc.runningCount === svc.desiredCount &&
      (desiredCount === null || svc.desiredCount === desiredCount) &&
      (desiredRange === null ||
        ((svc.desiredCount ?? -1) >= desiredRange.min && (svc.desiredCount ?? -1) <= desiredRange.max));

    // The new tasks' targets: only those of the task definition we deployed count, each task once.
    const found =
      targets && taskDefinition !== null
        ? await newTargets({ ecs, elb }, { cluster, service, taskDefinition, deploymentId, ...targets })
        : null;
    const ourTargets = found?.map((t) => t.health) ?? null;
    const healthy =
      found === null
        ? null
        : new Set(found.filter((t) => t.health.TargetHealth?.State === 'healthy').map((t) => t.task.taskArn))
            .size;
    // Within the service's health-check grace period (from the task's start) a target may still be
    // warming up: ECS ignores its verdict, and so does the run; past it, `unhealthy` counts.
    const graceEnds = (startedAt: Date | undefined) =>
      (startedAt?.getTime() ?? 0) + (svc.healthCheckGracePeriodSeconds ?? 0) * 1000;
    const checkedAt = now === null ? Date.now() : Date.parse(now);
    const unhealthy = (found ?? []).filter(
      (t) => t.health.TargetHealth?.State === 'unhealthy' && graceEnds(t.task.startedAt) <= checkedAt,
    );
    const unhealthyStreak = unhealthy.length > 0 ? rest.unhealthyStreak + 1 : 0;
    if (targets && unhealthyStreak >= targets.unhealthyLimit) {
      const reasons = unhealthy.map((t) =>
        `${describeTarget(t.health)} ${t.health.TargetHealth?.Description ?? ''}`.trim(),
      );
      throw new TargetsUnhealthy(
        `${unhealthy.length} of ${ourTargets?.length ?? 0} new targets of ${service} unhealthy past the health-check grace period for ${unhealthyStreak} ${unhealthyStreak === 1 ? 'poll' : 'polls in a row'}: ${reasons.join('; ')}`,
      );
    }
    const done = rolledOut && (healthy === null || healthy >= desired);
    if (!done && attempt + 1 >= maxAttempts) {
      if (rolledOut)
        throw new TargetsUnhealthy(
          `only ${healthy} of ${desired} new targets of ${service} became healthy within ${maxAttempts} polls: ${ourTargets?.map(describeTarget).join('; ') || 'no targets registered for the new tasks'}`,
        );
      throw new DeploymentTimedOut(
        `rollout to ${service} did not complete within ${maxAttempts} polls: ${primary.rolloutState}, ${running} of ${desired} running, ${deployments.length} deployments` +
          (failed > 0 ? `, ${failed} tasks failed to start or stopped` : '') +
          (ourTargets
            ? `; new targets: ${ourTargets.map(describeTarget).join('; ') || 'none registered'}`
            : ''),
      );
    }
    return {
      done,
      attempt: attempt + 1,
      rolloutState: primary.rolloutState ?? 'UNKNOWN',
      running,
      desired,
      deployments: deployments.length,
      healthy,
      unhealthyStreak,
    };
  },
  summarize: (r) =>
    `${r.rolloutState}, ${r.running}/${r.desired} running` +
    ((r.healthy ?? null) === null ? '' : `, ${r.healthy}/${r.desired} new targets healthy`),
});

function notDone(attempt: number, primary: Deployment, deployments: number) {
  return {
    done: false,
    attempt: attempt + 1,
    rolloutState: 'PENDING',
    running: primary.runningCount ?? 0,
    desired: primary.desiredCount ?? 0,
    deployments,
    healthy: null,
    unhealthyStreak: 0,
  };
}

export const handler = lambdaHandler(checkDeployment);
