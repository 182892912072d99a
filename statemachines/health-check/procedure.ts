// health-check in the registry: the runbook's "Morning Health Check", read-only, daily by schedule.
import example from '../../examples/health-check.json' with { type: 'json' };
import { InvalidInput } from '../../tasks/errors.ts';
import { findingLine, HealthReportSchema } from '../../tasks/health-check/report-health.ts';
import { EnvironmentRunInputSchema } from '../../tasks/schemas/environment-run.ts';
import { stepsInLineSeconds } from '../invoke-worker.ts';
import { type ProcedureSpec, SCHEDULER } from '../procedure.ts';
import { healthCheckDefinition } from './definition.ts';

export const healthCheck: ProcedureSpec = {
  name: 'health-check',
  summary:
    'Runbook "Morning Health Check": the environment\'s VPCs, NAT gateways, databases, ECS services, load balancers, alarms and recent ERROR logs, each against its expected result; read-only; announced only when something is off.',
  runbookSection: 'Daily Operations > Morning Health Check',
  input: EnvironmentRunInputSchema,
  example,
  lock: 'none',
  definition: healthCheckDefinition,
  // In line: validate, the six checks, the report, the notice, the failure notice.
  budget: () => ({ runSeconds: stepsInLineSeconds(10), pollRounds: 0 }),
  errors: [InvalidInput],
  describeOutput: (output) => {
    const report = HealthReportSchema.safeParse(output);
    if (!report.success) return [];
    return [
      report.data.summary,
      ...report.data.findings
        .filter((f) => f.verdict !== 'pass')
        .flatMap((f) => [findingLine(f), ...(f.samples ?? []).map((line) => `    ${line}`)]),
    ];
  },
  schedules: (catalogue) =>
    Object.entries(catalogue.environments).flatMap(([environment, env]) => {
      const schedule = env.healthCheck.schedule;
      if (!schedule) return [];
      const [hours, minutes] = schedule.time.split(':').map(Number);
      return [
        {
          name: environment,
          expression: `cron(${minutes} ${hours} * * ? *)`,
          timeZone: schedule.timeZone,
          input: {
            environment,
            requestedBy: SCHEDULER,
            reason: `the daily health check at ${schedule.time} ${schedule.timeZone}`,
          },
        },
      ];
    }),
  scenarios: [
    {
      name: 'happy',
      description:
        'Everything is as the runbook expects: VPC and NAT gateways available, the database available, the service at its count, the load balancer active, no alarm, a few ERROR lines. Nothing is announced.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'nat-gateway-failed',
      description:
        "A NAT gateway of the VPC has failed: the network check fails, naming it and EC2's reason; announced.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'database-stopped',
      description: 'The database is stopped: the database check fails; announced.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'service-degraded',
      description:
        "Two of the service's three tasks have just stopped and no deployment is under way: the service check fails; announced.",
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'load-balancer-impaired',
      description:
        'The load balancer is active_impaired (it cannot scale): a warning, announced at the warning severity.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'alarm-firing',
      description:
        "The app's 5xx alarm is in ALARM: the alarm check fails with CloudWatch's reason; announced.",
      faults: 'already-alarming',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'error-logs',
      description:
        'The application logs an ERROR a minute: more than the 20 an hour allowed; the log check fails with sample lines; announced.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'check-not-permitted',
      description:
        'EC2 refuses the network check (UnauthorizedOperation): the report shows that check failed and why, the other checks still run; announced.',
      expect: { status: 'SUCCEEDED', error: null },
    },
    {
      name: 'invalid-input',
      description: 'The environment is not configured; the first step refuses it, naming the field.',
      faults: 'happy',
      input: { ...example, environment: 'constructor' },
      expect: { status: 'FAILED', error: InvalidInput },
    },
  ],
  page: 'docs/procedures/health-check.md',
};
