// Before scale-service changes anything: what the service runs now (its count, its task definition,
// no deployment under way) and whether Application Auto Scaling manages its count. A scaler would
// undo a manual count (target tracking moves it back to what the load needs, within its bounds),
// so the plan moves the scalable target's bounds to hold the new count: its minimum up to a
// scale-up, its maximum down to a scale-down. And whether the scale-down is large enough to need
// an approval. Reads only.
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { aws, PreflightFailed } from '../errors.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';
import { type Capacity, CapacitySchema, ScaleRequestSchema } from './input.ts';

/** Application Auto Scaling's names of an ECS service's count. */
export const scalableResource = (cluster: string, service: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/${cluster}/${service}`,
  ScalableDimension: 'ecs:service:DesiredCount' as const,
});

export const BaselineSchema = z.strictObject({
  /** The service's desired count before the run. */
  from: z.number().int(),
  running: z.number().int(),
  /** The task definition it runs: the scale's new tasks are of it. */
  taskDefinition: z.string(),
  /** The scalable target's bounds before the run; null: no scaler manages the count. */
  scalableTarget: CapacitySchema.nullable(),
  /** The bounds that hold the new count, when a scaler manages it; null: nothing to move. */
  hold: CapacitySchema.nullable(),
  change: z.enum(['up', 'down', 'none']),
  approvalNeeded: z.boolean(),
  /** What the approver and the notices are told, in one sentence. */
  plan: z.string(),
});
export type Baseline = z.infer<typeof BaselineSchema>;

/** The bounds that keep a scaler from undoing a manual count: a floor at a scale-up, a ceiling at a scale-down. */
export function holdingBounds(target: Capacity, from: number, to: number): Capacity | null {
  if (to === from) return null;
  return to > from ? { min: to, max: Math.max(target.max, to) } : { min: Math.min(target.min, to), max: to };
}

export const readScaleBaseline = defineWorker({
  name: 'read-scale-baseline',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices', 'application-autoscaling:DescribeScalableTargets'],
  input: z.object({ request: ScaleRequestSchema }),
  run: async ({ request }, { ecs, autoscaling }): Promise<Baseline> => {
    const { cluster, serviceName, desiredCount: to } = request;
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
    );
    const svc = described.services?.[0];
    const primary = svc?.deployments?.find((d) => d.status === 'PRIMARY');
    if (svc?.status !== 'ACTIVE' || !primary?.taskDefinition)
      throw new PreflightFailed(
        `${cluster}/${serviceName} is not an active service with a PRIMARY deployment`,
      );
    const deployments = svc.deployments ?? [];
    if (deployments.length > 1 || primary.rolloutState !== 'COMPLETED')
      throw new PreflightFailed(
        `a deployment of ${serviceName} is under way (${deployments.length} deployments, the PRIMARY ${primary.rolloutState ?? 'in an unknown state'}): scale it once it is done`,
      );
    const from = svc.desiredCount ?? 0;
    const targets = await aws('Application Auto Scaling DescribeScalableTargets', () => {
      const { ServiceNamespace, ResourceId, ScalableDimension } = scalableResource(cluster, serviceName);
      return autoscaling.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace,
          ResourceIds: [ResourceId],
          ScalableDimension,
        }),
      );
    });
    const found = targets.ScalableTargets?.[0];
    const scalableTarget =
      found?.MinCapacity === undefined || found.MaxCapacity === undefined
        ? null
        : { min: found.MinCapacity, max: found.MaxCapacity };
    const hold = scalableTarget && holdingBounds(scalableTarget, from, to);
    const change = to > from ? 'up' : to < from ? 'down' : 'none';
    const fraction = request.scaleDownApprovalFraction;
    const approvalNeeded =
      request.approvalRequired && fraction !== null && from > 0 && (from - to) / from > fraction;
    const held = hold
      ? `; its scalable target goes from min ${scalableTarget?.min} max ${scalableTarget?.max} to min ${hold.min} max ${hold.max}, so that the scaler keeps the new count`
      : '';
    const plan =
      change === 'none'
        ? `${serviceName} already runs ${from} (desired), nothing to change`
        : `${serviceName} from ${from} to ${to} tasks of ${lastPart(primary.taskDefinition)}${held}`;
    return {
      from,
      running: svc.runningCount ?? 0,
      taskDefinition: primary.taskDefinition,
      scalableTarget,
      hold,
      change,
      approvalNeeded,
      plan,
    };
  },
  summarize: (r) => `${r.plan}${r.approvalNeeded ? ' (needs an approval)' : ''}`,
});

export const handler = lambdaHandler(readScaleBaseline);
