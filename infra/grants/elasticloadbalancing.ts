// Elastic Load Balancing: reading target health, which supports no resource-level permissions.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

export const grantElasticLoadBalancing: Grant = (fn, actions) => {
  for (const action of actions) {
    if (action !== 'elasticloadbalancing:DescribeTargetHealth') unknownAction(fn, action);
    allow(fn, [action], ['*']);
    acknowledge(
      fn,
      'IAM5[Resource::*]',
      'elasticloadbalancing:DescribeTargetHealth supports no resource-level permissions.',
    );
  }
};
