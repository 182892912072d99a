// resource-usage in the registry: the runbook's "Monitor Resource Usage", read-only, every few hours
// by schedule.
import example from '../../examples/resource-usage.json' with { type: 'json' };
import { InvalidInput, UsageUnreadable } from '../../tasks/errors.ts';
import { figureLine, UsageReportSchema } from '../../tasks/resource-usage/read-usage.ts';
import { EnvironmentRunInputSchema } from '../../tasks/schemas/environment-run.ts';
import { stepsInLineSeconds } from '../invoke-worker.ts';
import { type ProcedureSpec, SCHEDULER } from '../procedure.ts';
import { resourceUsageDefinition } from './definition.ts';

export const resourceUsage: ProcedureSpec = {
  name: 'resource-usage',
  summary:
    'Runbook "Monitor Resource Usage": CPU and memory of the ECS clusters and services, CPU, connections and free storage of the databases, S3 bucket sizes, over the last window and a week before, in one batched CloudWatch query; announced only on a breach.',
  runbookSection: 'Daily Operations > Monitor Resource Usage',
  input: EnvironmentRunInputSchema,
  example,
  lock: 'none',
  definition: resourceUsageDefinition,
  // In line: validate, read, the notice, the failure notice.
  budget: () => ({ runSeconds: stepsInLineSeconds(4), pollRounds: 0 }),
  errors: [InvalidInput, UsageUnreadable],
  describeOutput: (output) => {
    const report = UsageReportSchema.safeParse(output);
    if (!report.success) return [];
    return [report.data.summary, ...report.data.figures.map(figureLine)];
  },
  schedules: (catalogue) =>
    Object.entries(catalogue.environments).flatMap(([environment, env]) => {
      const schedule = env.resourceUsage.schedule;
      if (!schedule) return [];
      const every = schedule.everyHours === 1 ? '1 hour' : `${schedule.everyHours} hours`;
      return [
        {
          name: environment,
          expression: `rate(${every})`,
          timeZone: 'UTC',
          input: { environment, requestedBy: SCHEDULER, reason: `resource usage every ${every}` },
        },
      ];
    }),
  scenarios: [
    {
      name: 'happy',
      description:
        "Every figure within its threshold: the service at about 35 % CPU, the database's connections and storage ordinary, the bucket growing slowly; the cluster, Fargate-only, has no figure of its own (ECS publishes those only for EC2 capacity). Nothing is announced.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'cpu-breach',
      description:
        'The app service has run at about 93 % CPU for the last two hours (its cluster follows): both breach the 80 % threshold, against about 35 % a week before; announced.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'storage-low',
      description:
        "The database's free storage is down to about 4 GiB, under the 10 GiB it must keep; announced.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'metrics-missing',
      description:
        'CloudWatch has no datapoint of the bucket (S3 has not reported its size): that figure is no data, in the report, and not announced, since nothing breached.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'read-not-permitted',
      description:
        'CloudWatch refuses GetMetricData (AccessDenied): no figure can be read, so the run fails with UsageUnreadable, naming the refusal, and announces it.',
      expect: { status: 'FAILED', error: UsageUnreadable },
    },
    {
      name: 'invalid-input',
      description: 'The environment is not configured; the first step refuses it, naming the field.',
      faults: 'happy',
      input: { ...example, environment: 'constructor' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/resource-usage.md',
};
