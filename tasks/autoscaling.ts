// Application Auto Scaling of an ECS service's count, as the procedures that touch it (scale-service,
// configure-autoscaling) name it: the resource, its bounds, and the runbook's target-tracking policy.
import * as z from './zod.ts';

/** Application Auto Scaling's names of an ECS service's count. */
export const scalableResource = (cluster: string, service: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/${cluster}/${service}`,
  ScalableDimension: 'ecs:service:DesiredCount' as const,
});

/** A scalable target's bounds. */
export const CapacitySchema = z.strictObject({ min: z.number().int(), max: z.number().int() });
export type Capacity = z.infer<typeof CapacitySchema>;

/** The name of the target-tracking policy configure-autoscaling keeps (one per service). */
export const POLICY_NAME = 'runbook-target-tracking';

/** The ECS predefined metrics the runbook's policy tracks, by the config's names. */
export const METRICS = {
  cpu: 'ECSServiceAverageCPUUtilization',
  memory: 'ECSServiceAverageMemoryUtilization',
} as const;
export const MetricSchema = z.enum([METRICS.cpu, METRICS.memory]);

/** A target-tracking policy on the service's average CPU or memory, as configure-autoscaling compares and sets it. */
export const TargetTrackingSchema = z.strictObject({
  metric: MetricSchema,
  /** The average (percent) of the metric the policy keeps the service at. */
  targetValue: z.number(),
  scaleInCooldownSeconds: z.number().int(),
  scaleOutCooldownSeconds: z.number().int(),
});
export type TargetTracking = z.infer<typeof TargetTrackingSchema>;

/** What Application Auto Scaling holds for a service: its scalable target and the runbook's policy. */
export const AutoScalingStateSchema = z.strictObject({
  target: CapacitySchema.nullable(),
  /** Whether the target's dynamic scaling (in or out) is suspended: its policies then do nothing that way. */
  suspended: z.boolean(),
  policy: TargetTrackingSchema.nullable(),
});
export type AutoScalingState = z.infer<typeof AutoScalingStateSchema>;
