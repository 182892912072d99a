// Diagnostics, the runbook's "Check target health": the service's target group as the load balancer
// sees it, each target's state with ELB's reason code and description. An ALB fails open when every
// target is unhealthy: requests still reach them, so "served" is not "healthy".
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { section, summarizeSection } from './sections.ts';

export const readTargets = defineWorker({
  name: 'read-targets',
  entry: import.meta.url,
  actions: ['elasticloadbalancing:DescribeTargetHealth'],
  input: z.object({ request: IncidentRequestSchema }),
  run: async ({ request }, { elb }) => {
    const health = await aws('ELBv2 DescribeTargetHealth', () =>
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: request.targetGroupArn })),
    );
    const targets = health.TargetHealthDescriptions ?? [];
    const states = new Map<string, number>();
    for (const t of targets) {
      const state = t.TargetHealth?.State ?? 'unknown';
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    const healthy = states.get('healthy') ?? 0;
    const unhealthy = targets.filter((t) => t.TargetHealth?.State === 'unhealthy');
    const reasons = new Map<string, number>();
    for (const t of unhealthy) {
      const reason = shown(`${t.TargetHealth?.Reason ?? 'no reason'}: ${t.TargetHealth?.Description ?? ''}`);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const attention = [
      ...(healthy === 0
        ? [
            `no healthy target of ${targets.length} (the load balancer fails open: requests still go to unhealthy ones)`,
          ]
        : []),
      ...[...reasons].map(([reason, n]) => `${n} unhealthy: ${reason}`),
    ];
    const lines = [
      `${targets.length} targets: ${[...states].map(([state, n]) => `${n} ${state}`).join(', ') || 'none registered'}`,
      ...targets
        .filter((t) => t.TargetHealth?.State !== 'healthy')
        .map(
          (t) =>
            `${shown(t.Target?.Id)}:${t.Target?.Port ?? ''} ${t.TargetHealth?.State ?? 'unknown'} ${shown(t.TargetHealth?.Reason ?? '')}`,
        ),
    ];
    const name = request.targetGroupArn.split(':').pop() ?? request.targetGroupArn;
    return section('targets', `Target health (${shown(name)})`, {
      attention,
      lines,
      follow: consoleUrl(
        request.region,
        `ec2/home?region=${request.region}#TargetGroup:targetGroupArn=${encodeURIComponent(request.targetGroupArn)}`,
      ),
    });
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readTargets);
