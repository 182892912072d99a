// EC2: describing VPCs and NAT gateways, which support no resource-level permissions; the
// ec2:Region condition keeps the reads to the stack's region.
import { Stack } from 'aws-cdk-lib';
import { acknowledge, allow, type Grant, unknownAction } from './grant.ts';

const READS = new Set(['ec2:DescribeVpcs', 'ec2:DescribeNatGateways']);

export const grantEc2: Grant = (fn, actions) => {
  for (const action of actions) {
    if (!READS.has(action)) unknownAction(fn, action);
    allow(fn, [action], ['*'], { StringEquals: { 'ec2:Region': Stack.of(fn).region } });
    acknowledge(
      fn,
      'IAM5[Resource::*]',
      `${action} supports no resource-level permissions; the ec2:Region condition keeps it to the stack's region.`,
    );
  }
};
