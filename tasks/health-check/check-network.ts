// The runbook's checks 1 and 2: the environment's VPCs (found by their tag) are available, and so is
// every NAT gateway in them. A VPC tag that finds nothing is a failed check, not a clean one.
import {
  type NatGateway,
  paginateDescribeNatGateways,
  paginateDescribeVpcs,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { configured } from '../catalogue.ts';
import { consoleUrl } from '../console.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { HealthRequestSchema } from './input.ts';

/** The most a DescribeNatGateways vpc-id filter is given at once. */
const VPCS_PER_CALL = 200;

const NAT_VERDICTS: Record<string, Finding['verdict']> = {
  available: 'pass',
  pending: 'warn',
  // EC2 shows a deleted gateway for about an hour: it was removed, perhaps on purpose.
  deleted: 'warn',
  deleting: 'fail',
  failed: 'fail',
};

export const checkNetwork = defineWorker({
  name: 'check-network',
  entry: import.meta.url,
  actions: ['ec2:DescribeVpcs', 'ec2:DescribeNatGateways'],
  input: z.object({ request: HealthRequestSchema }),
  run: async ({ request }, { ec2 }): Promise<CheckResult> => {
    const { region, vpcTag } = request;
    const tag = `${vpcTag.key}=${vpcTag.value}`;
    const vpcs = await allPages(
      'EC2 DescribeVpcs',
      paginateDescribeVpcs(
        { client: ec2, pageSize: 100 },
        { Filters: [{ Name: `tag:${vpcTag.key}`, Values: [vpcTag.value] }] },
      ),
      (page) => page.Vpcs,
    );
    const findings: Finding[] = vpcs.items.map((vpc: Vpc) => ({
      check: 'network',
      target: vpc.VpcId ?? '?',
      expected: 'VPC available',
      actual: `${shown(vpc.State)} (${shown(vpc.CidrBlock)})`,
      verdict: vpc.State === 'available' ? 'pass' : 'warn',
      follow: consoleUrl(region, `vpcconsole/home?region=${region}#VpcDetails:VpcId=${vpc.VpcId}`),
    }));
    if (vpcs.items.length === 0)
      return {
        check: 'network',
        findings: [
          {
            check: 'network',
            target: `VPCs tagged ${tag}`,
            expected: 'at least one VPC, available',
            actual: `no VPC of ${region} is tagged ${tag}`,
            verdict: 'fail',
          },
        ],
      };
    const ids = vpcs.items.flatMap((v) => (v.VpcId ? [v.VpcId] : []));
    const gateways: NatGateway[] = [];
    let truncated = vpcs.truncated;
    for (let i = 0; i < ids.length; i += VPCS_PER_CALL) {
      const page = await allPages(
        'EC2 DescribeNatGateways',
        paginateDescribeNatGateways(
          { client: ec2, pageSize: 100 },
          { Filter: [{ Name: 'vpc-id', Values: ids.slice(i, i + VPCS_PER_CALL) }] },
        ),
        (p) => p.NatGateways,
      );
      gateways.push(...page.items);
      truncated ||= page.truncated;
    }
    for (const nat of gateways) {
      const failure = nat.FailureCode ? `: ${shown(nat.FailureCode)} ${shown(nat.FailureMessage)}` : '';
      findings.push({
        check: 'network',
        target: nat.NatGatewayId ?? '?',
        expected: 'NAT gateway available',
        actual: `${shown(nat.State)} in ${shown(nat.VpcId)}${failure}`,
        verdict: configured(NAT_VERDICTS, nat.State ?? '') ?? 'fail',
        follow: consoleUrl(
          region,
          `vpcconsole/home?region=${region}#NatGatewayDetails:natGatewayId=${nat.NatGatewayId}`,
        ),
      });
    }
    if (gateways.length === 0)
      findings.push({
        check: 'network',
        target: `NAT gateways of ${ids.join(', ')}`,
        expected: 'NAT gateways available',
        actual: 'none: nothing in these VPCs reaches the internet through a NAT gateway',
        verdict: 'warn',
      });
    if (truncated)
      findings.push({
        check: 'network',
        target: `VPCs tagged ${tag}`,
        expected: 'every VPC and NAT gateway read',
        actual: 'more pages than one check reads; the rest is unchecked',
        verdict: 'warn',
      });
    return checkResult('network', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkNetwork);
