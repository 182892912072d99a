// The runbook's check 4: every ECS service of the environment runs as many tasks as it wants, on one
// deployment whose rollout has completed. A rollout under way is a warning; fewer tasks than wanted
// outside one, a failed rollout, or a service ECS no longer has, a failure.
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { type HealthRequest, HealthRequestSchema } from './input.ts';

/** DescribeServices takes at most 10 services a call. */
const SERVICES_PER_CALL = 10;

type Checked = HealthRequest['services'][number];

function verdictOf(svc: Service): { verdict: Finding['verdict']; actual: string } {
  const running = svc.runningCount ?? 0;
  const desired = svc.desiredCount ?? 0;
  const primary = svc.deployments?.find((d) => d.status === 'PRIMARY');
  const deployments = svc.deployments?.length ?? 0;
  const counts = `${running} of ${desired} running`;
  if (svc.status !== 'ACTIVE') return { verdict: 'fail', actual: `${shown(svc.status)}, ${counts}` };
  if (primary?.rolloutState === 'FAILED')
    return { verdict: 'fail', actual: `${counts}; the rollout failed: ${shown(primary.rolloutStateReason)}` };
  if (deployments > 1 || primary?.rolloutState === 'IN_PROGRESS')
    return { verdict: 'warn', actual: `${counts}; a deployment is rolling out (${deployments} deployments)` };
  if (running < desired) return { verdict: 'fail', actual: `${counts}, with no deployment under way` };
  if (running > desired) return { verdict: 'warn', actual: `${counts}: tasks are being stopped` };
  return { verdict: 'pass', actual: `${counts}, rollout completed` };
}

export const checkServices = defineWorker({
  name: 'check-services',
  entry: import.meta.url,
  actions: ['ecs:DescribeServices'],
  input: z.object({ request: HealthRequestSchema }),
  run: async ({ request }, { ecs }): Promise<CheckResult> => {
    const { region } = request;
    const byCluster = new Map<string, Checked[]>();
    for (const svc of request.services)
      byCluster.set(svc.cluster, [...(byCluster.get(svc.cluster) ?? []), svc]);
    const findings: Finding[] = [];
    for (const [cluster, services] of byCluster) {
      for (let i = 0; i < services.length; i += SERVICES_PER_CALL) {
        const batch = services.slice(i, i + SERVICES_PER_CALL);
        const answer = await aws('ECS DescribeServices', () =>
          ecs.send(new DescribeServicesCommand({ cluster, services: batch.map((s) => s.service) })),
        );
        for (const checked of batch) {
          const svc = answer.services?.find((s) => s.serviceName === checked.service);
          const failure = answer.failures?.find((f) => f.arn?.endsWith(`/${checked.service}`));
          const { verdict, actual } = svc
            ? verdictOf(svc)
            : {
                verdict: 'fail' as const,
                actual: `ECS has no such service (${shown(failure?.reason ?? 'MISSING')})`,
              };
          findings.push({
            check: 'services',
            target: `${cluster}/${checked.service}`,
            expected: 'running == desired, one deployment, rollout completed',
            actual,
            verdict,
            follow: consoleUrl(
              region,
              `ecs/v2/clusters/${cluster}/services/${checked.service}/health?region=${region}`,
            ),
          });
        }
      }
    }
    return checkResult('services', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkServices);
