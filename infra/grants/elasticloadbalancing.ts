// Elastic Load Balancing: reading target health, target groups and load balancers, which support no
// resource-level permissions.
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

const READS = new Set([
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeLoadBalancers',
]);

export const grantElasticLoadBalancing: Grant = (fn, actions) => {
  for (const action of actions) {
    if (!READS.has(action)) unknownAction(fn, action);
    allow(fn, [action], ['*']);
    acknowledge(fn, 'IAM5[Resource::*]', `${action} supports no resource-level permissions.`);
  }
};
