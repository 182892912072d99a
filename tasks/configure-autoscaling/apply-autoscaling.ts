// Makes a service's auto scaling what `to` says, from what it was (`from`): the scalable target's
// bounds, then the runbook's target-tracking policy; or, to put back a target or a policy that did
// not exist before, deregisters or deletes it. Each call sets values or removes them, so a retry is
// harmless (a thing already gone is done).
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingStateSchema, POLICY_NAME, scalableResource } from '../autoscaling.ts';
import { aws } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

/** Runs a removal; one of a thing already gone is done. */
const gone = async (what: string, call: () => Promise<unknown>) => {
  try {
    await aws(what, call);
  } catch (error) {
    if ((error as Error).name !== 'ObjectNotFoundException') throw error;
  }
};

export const applyAutoScaling = defineWorker({
  name: 'apply-autoscaling',
  entry: import.meta.url,
  actions: [
    'application-autoscaling:RegisterScalableTarget',
    'application-autoscaling:PutScalingPolicy',
    'application-autoscaling:DeleteScalingPolicy',
    'application-autoscaling:DeregisterScalableTarget',
    // RegisterScalableTarget also needs the service described and updated (Application Auto Scaling User Guide).
    'ecs:DescribeServices',
    'ecs:UpdateService',
  ],
  input: z.object({
    cluster: z.string().min(1),
    service: z.string().min(1),
    from: AutoScalingStateSchema,
    to: AutoScalingStateSchema,
  }),
  run: async ({ cluster, service, from, to }, { autoscaling }) => {
    const resource = scalableResource(cluster, service);
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const done: string[] = [];
    if (!to.target && from.target) {
      // Deregistering a target deletes its policies too.
      await gone('Application Auto Scaling DeregisterScalableTarget', () =>
        autoscaling.send(new DeregisterScalableTargetCommand(resource)),
      );
      done.push('scalable target deregistered');
      return { done };
    }
    if (!to.policy && from.policy) {
      await gone('Application Auto Scaling DeleteScalingPolicy', () =>
        autoscaling.send(new DeleteScalingPolicyCommand({ ...resource, PolicyName: POLICY_NAME })),
      );
      done.push(`policy ${POLICY_NAME} deleted`);
    }
    const resume = from.target !== null && from.suspended !== to.suspended;
    if (to.target && (!same(to.target, from.target) || resume)) {
      const { min, max } = to.target;
      await aws('Application Auto Scaling RegisterScalableTarget', () =>
        autoscaling.send(
          new RegisterScalableTargetCommand({
            ...resource,
            MinCapacity: min,
            MaxCapacity: max,
            // Only where it differs; scheduled scaling is not the runbook's, and is not named.
            ...(resume && {
              SuspendedState: {
                DynamicScalingInSuspended: to.suspended,
                DynamicScalingOutSuspended: to.suspended,
              },
            }),
          }),
        ),
      );
      done.push(
        `scalable target min ${min}, max ${max}${resume ? `, dynamic scaling ${to.suspended ? 'suspended' : 'on'}` : ''}`,
      );
    }
    if (to.policy && !same(to.policy, from.policy)) {
      const { metric, targetValue, scaleInCooldownSeconds, scaleOutCooldownSeconds } = to.policy;
      await aws('Application Auto Scaling PutScalingPolicy', () =>
        autoscaling.send(
          new PutScalingPolicyCommand({
            ...resource,
            PolicyName: POLICY_NAME,
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: {
              TargetValue: targetValue,
              PredefinedMetricSpecification: { PredefinedMetricType: metric },
              ScaleInCooldown: scaleInCooldownSeconds,
              ScaleOutCooldown: scaleOutCooldownSeconds,
              DisableScaleIn: false,
            },
          }),
        ),
      );
      done.push(`policy ${POLICY_NAME}: ${metric} at ${targetValue} %`);
    }
    return { done };
  },
  summarize: (r) => (r.done.length === 0 ? 'nothing to set' : r.done.join('; ')),
});

export const handler = lambdaHandler(applyAutoScaling);
