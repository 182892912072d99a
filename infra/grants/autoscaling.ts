// Application Auto Scaling: reading the scalable targets and policies of ECS services (no
// resource-level permissions), and setting a target's bounds or policies (or removing them), on any
// scalable target (its ARN ends in an id AWS assigns, which the config cannot name) but only of an
// ECS service's desired count (the namespace and dimension conditions).
import { acknowledge, allow, arn, type Grant, unknownAction } from './grant.ts';

const READS = new Set([
  'application-autoscaling:DescribeScalableTargets',
  'application-autoscaling:DescribeScalingPolicies',
]);

/** The actions on one scalable target (its bounds, its policies, itself). */
const ON_TARGET = new Set([
  'application-autoscaling:RegisterScalableTarget',
  'application-autoscaling:PutScalingPolicy',
  'application-autoscaling:DeleteScalingPolicy',
  'application-autoscaling:DeregisterScalableTarget',
]);

export const grantAutoScaling: Grant = (fn, actions, { config }) => {
  for (const action of actions) {
    if (READS.has(action)) {
      allow(fn, [action], ['*']);
      acknowledge(
        fn,
        'IAM5[Resource::*]',
        `${action} supports no resource-level permissions; it reads only.`,
      );
    } else if (ON_TARGET.has(action)) {
      allow(fn, [action], [arn(fn, 'application-autoscaling', 'scalable-target/*')], {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      });
      acknowledge(
        fn,
        `IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:${config.region}:${config.account}:scalable-target/*]`,
        "A scalable target's ARN ends in an id AWS assigns, which the config cannot name; the conditions keep it to ECS services' desired count, and ECS's own grants to the configured services.",
      );
    } else unknownAction(fn, action);
  }
};
