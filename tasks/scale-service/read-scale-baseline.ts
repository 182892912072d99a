// Before scale-service changes anything: what the service runs now (its count, its task definition,
// no deployment under way) and whether Application Auto Scaling manages its count. A scaler undoes
// a manual count: its bounds bring the count inside them, and a scaling policy brings it back to
// what the load needs. So the plan moves the scalable target's bounds to hold the new count: with a
// policy, its minimum up to a scale-up or its maximum down to a scale-down; without one, only as far
// as the count needs. And whether the scale-down is large enough to need an approval. Read again
// after an approval (`expected`): if the bounds moved meanwhile, or the count did in a way the
// approval did not cover, the approved plan is stale and the run stops before any change. Reads only.
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { type Capacity, CapacitySchema, scalableResource } from '../autoscaling.ts';
import { aws, PreflightFailed } from '../errors.ts';
import { defineWorker, lambdaHandler, lastPart } from '../worker.ts';
import * as z from '../zod.ts';
import { ScaleRequestSchema } from './input.ts';

export const BaselineSchema = z.strictObject({
  /** The service's desired count before the run. */
  from: z.number().int(),
  running: z.number().int(),
  /** The task definition it runs: the scale's new tasks are of it. */
  taskDefinition: z.string(),
  /** The scalable target's bounds before the run; null: no scaler manages the count. */
  scalableTarget: CapacitySchema.nullable(),
  /** The same in words, for the notices ("min 3, max 10", or "none"). */
  scalableTargetText: z.string(),
  /** Whether a scaling policy moves the count (not only the bounds). */
  policies: z.number().int(),
  /** The bounds that hold the new count; null: nothing to move. */
  hold: CapacitySchema.nullable(),
  /** The desired counts at which the scale is done: the count asked, or on from it the way a scaler may move it. */
  settle: CapacitySchema,
  /** The same for putting the baseline back. */
  restoreSettle: CapacitySchema,
  change: z.enum(['up', 'down', 'none']),
  approvalNeeded: z.boolean(),
  /** What the approver and the notices are told. */
  plan: z.string(),
});
export type Baseline = z.infer<typeof BaselineSchema>;

/**
 * The bounds that keep a scaler from undoing a manual count. With a policy: a floor at a scale-up,
 * a ceiling at a scale-down. Without one, the bounds alone act: widened only as far as the count.
 */
export function holdingBounds(target: Capacity, from: number, to: number, policies: number): Capacity | null {
  if (to === from) return null;
  if (policies === 0)
    return to < target.min || to > target.max
      ? { min: Math.min(target.min, to), max: Math.max(target.max, to) }
      : null;
  return to > from ? { min: to, max: Math.max(target.max, to) } : { min: Math.min(target.min, to), max: to };
}

export const readScaleBaseline = defineWorker({
  name: 'read-scale-baseline',
  entry: import.meta.url,
  actions: [
    'ecs:DescribeServices',
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScalingPolicies',
  ],
  input: z.object({
    request: ScaleRequestSchema,
    /** The baseline an approval approved: this reading must find the same count and bounds. */
    expected: BaselineSchema.nullable().default(null),
  }),
  run: async ({ request, expected }, { ecs, autoscaling }): Promise<Baseline> => {
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
    if (request.upOnly && to <= from)
      throw new PreflightFailed(
        `${serviceName} already wants ${from} tasks: a scale-up to ${to} would not add any; nothing was changed`,
      );
    const { ServiceNamespace, ResourceId, ScalableDimension } = scalableResource(cluster, serviceName);
    const targets = await aws('Application Auto Scaling DescribeScalableTargets', () =>
      autoscaling.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace,
          ResourceIds: [ResourceId],
          ScalableDimension,
        }),
      ),
    );
    const found = targets.ScalableTargets?.[0];
    const scalableTarget =
      found?.MinCapacity === undefined || found.MaxCapacity === undefined
        ? null
        : { min: found.MinCapacity, max: found.MaxCapacity };
    const policies = scalableTarget
      ? ((
          await aws('Application Auto Scaling DescribeScalingPolicies', () =>
            autoscaling.send(
              new DescribeScalingPoliciesCommand({ ServiceNamespace, ResourceId, ScalableDimension }),
            ),
          )
        ).ScalingPolicies?.length ?? 0)
      : 0;
    const targetText = (c: Capacity | null) => (c ? `min ${c.min}, max ${c.max}` : 'none');
    if (
      expected &&
      // Stale: other bounds; or, without a policy, another count; with one (which moves the count all
      // the time), a scale-down that now removes more tasks than the one approved.
      (targetText(expected.scalableTarget) !== targetText(scalableTarget) ||
        (policies === 0 ? expected.from !== from : to < from && from > expected.from))
    )
      throw new PreflightFailed(
        `${serviceName} changed while the approval was pending: it was approved from ${expected.from} tasks (scalable target ${expected.scalableTargetText}) and now wants ${from} (scalable target ${targetText(scalableTarget)}); nothing was changed: ask again`,
      );
    const hold = scalableTarget && holdingBounds(scalableTarget, from, to, policies);
    const change = to > from ? 'up' : to < from ? 'down' : 'none';
    // Where a policy moves the count, it may go on the way the scale went, within the bounds.
    const moves = scalableTarget !== null && policies > 0;
    const settle =
      moves && hold
        ? change === 'up'
          ? { min: to, max: hold.max }
          : { min: hold.min, max: to }
        : { min: to, max: to };
    const restoreSettle = moves && scalableTarget ? scalableTarget : { min: from, max: from };
    const fraction = request.scaleDownApprovalFraction;
    const approvalNeeded =
      request.approvalRequired && fraction !== null && from > 0 && (from - to) / from > fraction;
    const held = hold
      ? `; its scalable target goes from ${targetText(scalableTarget)} to ${targetText(hold)} so that the scaler keeps the new count${hold.min === hold.max ? ' (min = max: the scaler cannot scale at all, not even in a spike)' : ''}, and stays so after the run: set it back (aws application-autoscaling register-scalable-target) when the manual count is no longer wanted`
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
      scalableTargetText: targetText(scalableTarget),
      policies,
      hold,
      settle,
      restoreSettle,
      change,
      approvalNeeded,
      plan,
    };
  },
  summarize: (r) => `${r.plan}${r.approvalNeeded ? ' (needs an approval)' : ''}`,
});

export const handler = lambdaHandler(readScaleBaseline);
