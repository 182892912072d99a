// What Application Auto Scaling holds for a service (its scalable target, whether its dynamic
// scaling is suspended, the runbook's target-tracking policy, any other policy) and how that
// differs from what the config says. Used before a change, for a drift report, before putting a
// failed change back, and after a change to read back what was set. Reads only.
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  type AutoScalingState,
  AutoScalingStateSchema,
  METRICS,
  MetricSchema,
  POLICY_NAME,
  scalableResource,
} from '../autoscaling.ts';
import { AutoScalingNotApplied, aws, PreflightFailed } from '../errors.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ConfigureRequestSchema } from './input.ts';

export const DifferenceSchema = z.strictObject({ what: z.string(), before: z.string(), after: z.string() });
export type Difference = z.infer<typeof DifferenceSchema>;

export const AutoScalingReportSchema = z.strictObject({
  current: AutoScalingStateSchema,
  /** The service's desired count now. */
  desiredCount: z.number().int(),
  /** Each way the account differs from the config, before -> after; none: in sync. */
  differences: z.array(DifferenceSchema),
  inSync: z.boolean(),
  /** The target's other scaling policies (not the runbook's): named, not changed. */
  otherPolicies: z.array(z.string()),
  summary: z.string(),
  /** How loud a check's notice is: a drift is announced; null: nothing to announce. */
  severity: z.enum(['warning']).nullable(),
});
export type AutoScalingReport = z.infer<typeof AutoScalingReportSchema>;

/** A metric as a person says it: "average CPU". */
const metricText = (metric: string) =>
  metric === METRICS.memory ? 'average memory' : metric === METRICS.cpu ? 'average CPU' : metric;

const policyText = (p: NonNullable<AutoScalingState['policy']>) =>
  `${metricText(p.metric)} at ${p.targetValue} %, cooldowns ${p.scaleInCooldownSeconds} s in and ${p.scaleOutCooldownSeconds} s out`;

/** Each way `current` differs from `wanted`, in words. */
export function differences(current: AutoScalingState, wanted: AutoScalingState): Difference[] {
  const found: Difference[] = [];
  const add = (what: string, before: unknown, after: unknown) => {
    if (before !== after) found.push({ what, before: String(before), after: String(after) });
  };
  if (wanted.target) {
    if (!current.target)
      found.push({
        what: 'scalable target',
        before: 'none',
        after: `min ${wanted.target.min}, max ${wanted.target.max}`,
      });
    else {
      add('minimum capacity', current.target.min, wanted.target.min);
      add('maximum capacity', current.target.max, wanted.target.max);
      if (current.suspended !== wanted.suspended)
        add('dynamic scaling', current.suspended ? 'suspended' : 'on', wanted.suspended ? 'suspended' : 'on');
    }
  }
  if (wanted.policy) {
    if (!current.policy)
      found.push({
        what: `target-tracking policy ${POLICY_NAME}`,
        before: 'none',
        after: policyText(wanted.policy),
      });
    else {
      add('metric', metricText(current.policy.metric), metricText(wanted.policy.metric));
      add('target (%)', current.policy.targetValue, wanted.policy.targetValue);
      add(
        'scale-in cooldown (s)',
        current.policy.scaleInCooldownSeconds,
        wanted.policy.scaleInCooldownSeconds,
      );
      add(
        'scale-out cooldown (s)',
        current.policy.scaleOutCooldownSeconds,
        wanted.policy.scaleOutCooldownSeconds,
      );
    }
  }
  return found;
}

export const readAutoScaling = defineWorker({
  name: 'read-autoscaling',
  entry: import.meta.url,
  actions: [
    'ecs:DescribeServices',
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScalingPolicies',
  ],
  input: z.object({
    request: ConfigureRequestSchema,
    /** After a change: anything not as the config says fails the run (AutoScalingNotApplied). */
    expectInSync: z.boolean().default(false),
    /** Before a change: refuse what a change must not touch. A check, or a reading to put back from, only reports. */
    beforeChange: z.boolean().default(true),
  }),
  run: async ({ request, expectInSync, beforeChange }, { ecs, autoscaling }): Promise<AutoScalingReport> => {
    const { cluster, serviceName, wanted } = request;
    const { ServiceNamespace, ResourceId, ScalableDimension } = scalableResource(cluster, serviceName);
    const described = await aws('ECS DescribeServices', () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] })),
    );
    const svc = described.services?.[0];
    if (svc?.status !== 'ACTIVE')
      throw new PreflightFailed(`${cluster}/${serviceName} is not an active service`);
    const desiredCount = svc.desiredCount ?? 0;
    const targets = await aws('Application Auto Scaling DescribeScalableTargets', () =>
      autoscaling.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace,
          ResourceIds: [ResourceId],
          ScalableDimension,
        }),
      ),
    );
    const policies = await aws('Application Auto Scaling DescribeScalingPolicies', () =>
      autoscaling.send(
        new DescribeScalingPoliciesCommand({ ServiceNamespace, ResourceId, ScalableDimension }),
      ),
    );
    const found = targets.ScalableTargets?.[0];
    const target =
      found?.MinCapacity === undefined || found.MaxCapacity === undefined
        ? null
        : { min: found.MinCapacity, max: found.MaxCapacity };
    const suspended =
      found?.SuspendedState?.DynamicScalingInSuspended === true ||
      found?.SuspendedState?.DynamicScalingOutSuspended === true;
    const named = policies.ScalingPolicies?.find((p) => p.PolicyName === POLICY_NAME);
    const otherPolicies = (policies.ScalingPolicies ?? [])
      .filter((p) => p.PolicyName !== POLICY_NAME)
      .map((p) => shown(`${p.PolicyName} (${p.PolicyType})`));
    const tracking = named?.TargetTrackingScalingPolicyConfiguration;
    const kind = `${named?.PolicyType ?? 'unknown'} on ${tracking?.PredefinedMetricSpecification?.PredefinedMetricType ?? 'a custom metric'}${tracking?.DisableScaleIn ? ' without scale-in' : ''}`;
    const metric = MetricSchema.safeParse(tracking?.PredefinedMetricSpecification?.PredefinedMetricType);
    const ours =
      named?.PolicyType === 'TargetTrackingScaling' && metric.success && tracking?.DisableScaleIn !== true;
    // A policy of the runbook's name that is not the runbook's kind is someone else's: a change would
    // replace it and could not put it back, so only a report may name it.
    const refuse = beforeChange && !request.check;
    if (named && !ours && refuse)
      throw new PreflightFailed(
        `${ResourceId} has a scaling policy named ${POLICY_NAME} that is ${kind}, not target tracking on ECS average CPU or memory with scale-in: rename or delete it first`,
      );
    // New bounds that leave the count outside them move it at once (the API reference): that is a
    // scale, with its own waits and approvals, and not this run's to make.
    if (refuse && (desiredCount < wanted.target.min || desiredCount > wanted.target.max))
      throw new PreflightFailed(
        `${serviceName} runs ${desiredCount} tasks (desired), outside the bounds the config gives it (min ${wanted.target.min}, max ${wanted.target.max}): Application Auto Scaling would move the count at once; scale it into them first (scale-service), then run this again`,
      );
    const policy =
      ours && metric.success && tracking?.TargetValue !== undefined
        ? {
            metric: metric.data,
            targetValue: tracking.TargetValue,
            scaleInCooldownSeconds: tracking.ScaleInCooldown ?? 300,
            scaleOutCooldownSeconds: tracking.ScaleOutCooldown ?? 300,
          }
        : null;
    const current = { target, suspended, policy };
    const drift = [
      ...(named && !ours
        ? [
            {
              what: `policy ${POLICY_NAME}`,
              before: kind,
              after: `TargetTrackingScaling on ${metricText(wanted.policy.metric)}`,
            },
          ]
        : []),
      // (someone else's policy of the runbook's name is one difference, not also a missing policy)
      ...differences(current, named && !ours ? { ...wanted, policy: null } : wanted),
    ];
    const inSync = drift.length === 0;
    const others =
      otherPolicies.length > 0
        ? ` Other scaling policies on it, not the runbook's: ${otherPolicies.join(', ')}.`
        : '';
    const summary =
      (inSync
        ? `${serviceName}'s auto scaling is as the config says: min ${wanted.target.min}, max ${wanted.target.max}, ${policyText(wanted.policy)}.`
        : `${serviceName}'s auto scaling differs from the config in ${drift.length} ${drift.length === 1 ? 'way' : 'ways'}: ${drift.map((d) => `${d.what} ${d.before} -> ${d.after}`).join('; ')}.`) +
      others;
    if (expectInSync && !inSync)
      throw new AutoScalingNotApplied(
        `read back after the change, ${summary.charAt(0).toLowerCase()}${summary.slice(1)}`,
      );
    return {
      current,
      desiredCount,
      differences: drift,
      inSync,
      otherPolicies,
      summary,
      severity: request.check && !inSync ? 'warning' : null,
    };
  },
  summarize: (r) =>
    r.inSync ? 'in sync with the config' : `${r.differences.length} differences from the config`,
});

export const handler = lambdaHandler(readAutoScaling);
