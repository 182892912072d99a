// What Application Auto Scaling holds for a service (its scalable target and the runbook's
// target-tracking policy) and how that differs from what the config says. Used before a change,
// for a drift report, and after one to read back what was set. Reads only.
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type AutoScalingState,
  AutoScalingStateSchema,
  POLICY_NAME,
  scalableResource,
} from '../autoscaling.ts';
import { AutoScalingNotApplied, aws, PreflightFailed } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { ConfigureRequestSchema } from './input.ts';

const CPU = 'ECSServiceAverageCPUUtilization';

export const DifferenceSchema = z.strictObject({ what: z.string(), before: z.string(), after: z.string() });
export type Difference = z.infer<typeof DifferenceSchema>;

export const AutoScalingReportSchema = z.strictObject({
  current: AutoScalingStateSchema,
  /** Each way the account differs from the config, before -> after; none: in sync. */
  differences: z.array(DifferenceSchema),
  inSync: z.boolean(),
  summary: z.string(),
});
export type AutoScalingReport = z.infer<typeof AutoScalingReportSchema>;

const policyText = (p: NonNullable<AutoScalingState['policy']>) =>
  `average CPU at ${p.targetValue} %, cooldowns ${p.scaleInCooldownSeconds} s in and ${p.scaleOutCooldownSeconds} s out`;

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
      add('CPU target (%)', current.policy.targetValue, wanted.policy.targetValue);
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
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScalingPolicies',
  ],
  input: z.object({
    request: ConfigureRequestSchema,
    /** After a change: anything not as the config says fails the run (AutoScalingNotApplied). */
    expectInSync: z.boolean().default(false),
  }),
  run: async ({ request, expectInSync }, { autoscaling }): Promise<AutoScalingReport> => {
    const { ServiceNamespace, ResourceId, ScalableDimension } = scalableResource(
      request.cluster,
      request.serviceName,
    );
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
        new DescribeScalingPoliciesCommand({
          ServiceNamespace,
          ResourceId,
          ScalableDimension,
          PolicyNames: [POLICY_NAME],
        }),
      ),
    );
    const found = targets.ScalableTargets?.[0];
    const target =
      found?.MinCapacity === undefined || found.MaxCapacity === undefined
        ? null
        : { min: found.MinCapacity, max: found.MaxCapacity };
    const named = policies.ScalingPolicies?.find((p) => p.PolicyName === POLICY_NAME);
    const tracking = named?.TargetTrackingScalingPolicyConfiguration;
    const kind = `${named?.PolicyType ?? 'unknown'} on ${tracking?.PredefinedMetricSpecification?.PredefinedMetricType ?? 'a custom metric'}${tracking?.DisableScaleIn ? ' without scale-in' : ''}`;
    const ours =
      named?.PolicyType === 'TargetTrackingScaling' &&
      tracking?.PredefinedMetricSpecification?.PredefinedMetricType === CPU &&
      tracking.DisableScaleIn !== true;
    // A policy of the runbook's name that is not the runbook's kind is someone else's: a change would
    // replace it and could not put it back, so only a report may name it.
    if (named && !ours && !request.check)
      throw new PreflightFailed(
        `${ResourceId} has a scaling policy named ${POLICY_NAME} that is ${kind}, not target tracking on average CPU with scale-in: rename or delete it first`,
      );
    const policy =
      ours && tracking?.TargetValue !== undefined
        ? {
            targetValue: tracking.TargetValue,
            scaleInCooldownSeconds: tracking.ScaleInCooldown ?? 300,
            scaleOutCooldownSeconds: tracking.ScaleOutCooldown ?? 300,
          }
        : null;
    const current = { target, policy };
    const drift = [
      ...(named && !ours
        ? [{ what: `policy ${POLICY_NAME}`, before: kind, after: 'TargetTrackingScaling on average CPU' }]
        : []),
      ...differences(current, request.wanted),
    ];
    const inSync = drift.length === 0;
    const summary = inSync
      ? `${request.serviceName}'s auto scaling is as the config says: min ${request.wanted.target.min}, max ${request.wanted.target.max}, ${policyText(request.wanted.policy)}.`
      : `${request.serviceName}'s auto scaling differs from the config in ${drift.length} ${drift.length === 1 ? 'way' : 'ways'}: ${drift.map((d) => `${d.what} ${d.before} -> ${d.after}`).join('; ')}.`;
    if (expectInSync && !inSync)
      throw new AutoScalingNotApplied(
        `read back after the change, ${summary.charAt(0).toLowerCase()}${summary.slice(1)}`,
      );
    return { current, differences: drift, inSync, summary };
  },
  summarize: (r) =>
    r.inSync ? 'in sync with the config' : `${r.differences.length} differences from the config`,
});

export const handler = lambdaHandler(readAutoScaling);
