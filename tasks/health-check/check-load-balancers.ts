// The runbook's check 5: the load balancer in front of each service (found through its target group)
// is active. Provisioning, or active but impaired (it cannot scale), is a warning; failed, or a target
// group no load balancer sends traffic to, a failure.
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { configured } from '../catalogue.ts';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { HealthRequestSchema } from './input.ts';

const LB_VERDICTS: Record<string, Finding['verdict']> = {
  active: 'pass',
  provisioning: 'warn',
  active_impaired: 'warn',
  failed: 'fail',
};

/** One described by its ARN, or null when ELB knows none (the error ELB names for it). */
async function describeOne<T>(
  what: string,
  notFound: string,
  call: () => Promise<T | undefined>,
): Promise<T | null> {
  try {
    return (await aws(what, call)) ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === notFound) return null;
    throw error;
  }
}

export const checkLoadBalancers = defineWorker({
  name: 'check-load-balancers',
  entry: import.meta.url,
  actions: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeLoadBalancers'],
  input: z.object({ request: HealthRequestSchema }),
  run: async ({ request }, { elb }): Promise<CheckResult> => {
    const { region } = request;
    const findings: Finding[] = [];
    // Each group and balancer on its own: one that is gone fails only its own finding.
    const balancers = new Map<string, string[]>();
    for (const svc of request.services) {
      const group = await describeOne(
        'ELB DescribeTargetGroups',
        'TargetGroupNotFoundException',
        async () =>
          (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [svc.targetGroupArn] })))
            .TargetGroups?.[0],
      );
      const arns = group?.LoadBalancerArns ?? [];
      if (!group || arns.length === 0)
        findings.push({
          check: 'load-balancers',
          target: svc.targetGroupArn,
          expected: `a load balancer sends ${svc.name}'s traffic to this target group`,
          actual: group ? 'no load balancer uses this target group' : 'ELB knows no such target group',
          verdict: 'fail',
        });
      for (const arn of arns) balancers.set(arn, [...(balancers.get(arn) ?? []), svc.name]);
    }
    for (const [arn, services] of balancers) {
      const lb: LoadBalancer | null = await describeOne(
        'ELB DescribeLoadBalancers',
        'LoadBalancerNotFoundException',
        async () =>
          (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0],
      );
      const state = lb?.State?.Code ?? 'unknown';
      findings.push({
        check: 'load-balancers',
        target: lb?.LoadBalancerName ?? arn,
        expected: 'active',
        actual: lb
          ? `${shown(state)}${lb.State?.Reason ? `: ${shown(lb.State.Reason)}` : ''} (serves ${services.join(', ')})`
          : 'ELB knows no such load balancer',
        verdict: lb ? (configured(LB_VERDICTS, state) ?? 'fail') : 'fail',
        follow: consoleUrl(region, `ec2/home?region=${region}#LoadBalancer:loadBalancerArn=${arn}`),
      });
    }
    return checkResult('load-balancers', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkLoadBalancers);
