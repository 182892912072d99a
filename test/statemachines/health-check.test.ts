// Every path of the health-check state machine, executed by the local engine on the synthesized
// definition against the simulated account: what each check finds, what is announced, and that
// nothing changes on any path.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../infra/config.ts';
import type { HealthReport } from '../../tasks/health-check/report-health.ts';
import { changes, config, definitionsOnce, example, run, scenarioFaults } from './support.ts';

const input = example('health-check');
/** The runbook's own topic, as the synthesized definitions name it. */
const TOPIC = definitionsOnce().topicArn;

beforeAll(() => {
  definitionsOnce();
});

const reportOf = (result: Awaited<ReturnType<typeof run>>) => result.output as HealthReport;
const off = (result: Awaited<ReturnType<typeof run>>) =>
  reportOf(result).findings.filter((f) => f.verdict !== 'pass');

/** What the findings notice said, as the notify step was given it. */
const noticeInput = (result: Awaited<ReturnType<typeof run>>) =>
  result.events.find((e) => e.state === 'Notify Findings' && e.kind === 'scheduled')?.input as
    | { report: HealthReport }
    | undefined;

describe('health-check', () => {
  it('checks everything the runbook checks, finds it healthy, announces nothing and changes nothing', async () => {
    // When
    const result = await run('health-check', input);
    // Then
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
    const report = reportOf(result);
    expect(report).toMatchObject({
      environment: 'prod',
      verdict: 'pass',
      counts: { pass: 8, warn: 0, fail: 0 },
      severity: null,
      summary: 'prod is healthy: all 8 things checked passed.',
    });
    expect(report.findings.map((f) => [f.check, f.target])).toEqual([
      ['network', expect.stringMatching(/^vpc-[0-9a-f]{17}$/)],
      ['network', expect.stringMatching(/^nat-[0-9a-f]{17}$/)],
      ['network', expect.stringMatching(/^nat-[0-9a-f]{17}$/)],
      ['databases', 'enterprise-prod-db'],
      ['services', 'enterprise-prod-cluster/app-service'],
      ['load-balancers', 'enterprise-prod-app-alb'],
      ['alarms', 'alarms named enterprise-prod-*'],
      ['logs', '/aws/application/enterprise-prod'],
    ]);
    // Only prod's VPC: the dev VPC carries Environment=dev
    const vpc = report.findings[0];
    expect(result.account.vpcs.map((v) => v.id)).toContain(vpc?.target);
    expect(report.findings.find((f) => f.check === 'logs')?.actual).toBe(
      '2 events matching ERROR in the last 60 minutes',
    );
    expect(result.account.notifications).toEqual([]);
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
    expect(result.events.some((e) => e.state === 'Healthy')).toBe(true);
  });

  it.each([
    [
      'nat-gateway-failed',
      'network',
      /^failed in vpc-\S+: InsufficientFreeAddressesInSubnet Subnet has insufficient/,
    ],
    ['database-stopped', 'databases', /^stopped in us-east-1a \(Multi-AZ\)$/],
    ['service-degraded', 'services', /^1 of 3 running, with no deployment under way$/],
    ['already-alarming', 'alarms', /^ALARM since \S+: Threshold Crossed: 5 out of the last 5 datapoints/],
    ['error-logs', 'logs', /^more than 20 events matching ERROR in the last 60 minutes$/],
    ['check-not-permitted', 'network', /^could not check: UnauthorizedOperation: You are not authorized/],
  ])(
    '%s: the %s check alone fails, and the report is announced as a page',
    async (scenario, check, actual) => {
      // When
      const result = await run('health-check', input, { scenario });
      // Then the run succeeds with one failed finding, of that check
      expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
      expect(off(result)).toEqual([
        expect.objectContaining({ check, verdict: 'fail', actual: expect.stringMatching(actual) }),
      ]);
      expect(reportOf(result)).toMatchObject({ verdict: 'fail', severity: 'page' });
      expect(reportOf(result).findings[0]?.check).toBe(check);
      // and is announced at the environment's severity for a failure, naming it
      expect(result.account.notifications).toEqual([
        {
          topicArn: TOPIC,
          event: 'findings',
          severity: 'page',
          subject: '[PAGE] health-check prod: 1 failed, 0 warnings',
        },
      ]);
      expect(noticeInput(result)?.report.findings.filter((f) => f.verdict === 'fail')).toHaveLength(1);
      expect(changes(result)).toEqual([]);
      expect(result.events.some((e) => e.state === 'Findings Recorded')).toBe(true);
    },
  );

  it('announces a warning alone at the warning severity (an impaired load balancer)', async () => {
    const result = await run('health-check', input, { scenario: 'load-balancer-impaired' });
    expect(result.status).toBe('SUCCEEDED');
    expect(off(result)).toEqual([
      expect.objectContaining({
        check: 'load-balancers',
        verdict: 'warn',
        actual:
          'active_impaired: The load balancer cannot scale: there are not enough free IP addresses in its subnets. (serves app)',
      }),
    ]);
    expect(reportOf(result)).toMatchObject({
      verdict: 'warn',
      severity: 'warning',
      counts: { warn: 1, fail: 0 },
    });
    expect(result.account.notifications).toEqual([
      {
        topicArn: TOPIC,
        event: 'findings',
        severity: 'warning',
        subject: '[WARNING] health-check prod: 0 failed, 1 warnings',
      },
    ]);
  });

  it('a check that cannot run fails its finding and the others still run', async () => {
    const result = await run('health-check', input, { scenario: 'check-not-permitted' });
    const report = reportOf(result);
    expect(report.counts).toEqual({ pass: 5, warn: 0, fail: 1 });
    expect(report.findings.filter((f) => f.verdict === 'pass').map((f) => f.check)).toEqual([
      'databases',
      'services',
      'load-balancers',
      'alarms',
      'logs',
    ]);
    // Refused, not transient: asked once, not retried
    const network = result.events.filter((e) => e.state === 'Check Network' && e.kind === 'scheduled');
    expect(network).toHaveLength(1);
  });

  it('shows what the application logged harmlessly: control characters escaped, three samples', async () => {
    const result = await run('health-check', input, { scenario: 'error-logs' });
    const [logs] = off(result);
    expect(logs?.samples).toHaveLength(3);
    for (const line of logs?.samples ?? []) {
      expect(line).toContain('payment declined: \\x1b[31mgateway unreachable\\x1b[0m');
      expect(line).not.toContain('\u001b');
    }
    expect(JSON.stringify(result.output)).not.toContain('\\u001b');
  });

  it("reads only the environment's alarms when the config gives their prefix, every alarm without it", async () => {
    // Given dev's alarm in ALARM as well as prod's
    const firing = await run('health-check', input, { scenario: 'already-alarming' });
    expect(firing.account.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name)).toEqual([
      'enterprise-prod-app-5xx',
      'enterprise-dev-app-5xx',
    ]);
    expect(off(firing).map((f) => f.target)).toEqual(['enterprise-prod-app-5xx']);
    // When prod names no prefix
    const prod = config.environments.prod;
    if (!prod) throw new Error('no prod');
    const { alarmNamePrefix: _prefix, ...unprefixed } = prod.healthCheck;
    const everyAlarm: Config = {
      ...config,
      environments: { ...config.environments, prod: { ...prod, healthCheck: unprefixed } },
    };
    const result = await run('health-check', input, { scenario: 'already-alarming', config: everyAlarm });
    // Then both are found, as the runbook's script finds them
    expect(off(result).map((f) => f.target)).toEqual(['enterprise-prod-app-5xx', 'enterprise-dev-app-5xx']);
  });

  it('rides out throttling: the reads are retried and the report is whole', async () => {
    const result = await run('health-check', input, {
      scenario: 'throttling',
      faults: {
        throttling: { calls: /^(ec2|logs|rds|ecs|elb|cloudwatch):/, everySeconds: 4, forSeconds: 2 },
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(reportOf(result).counts).toEqual({ pass: 8, warn: 0, fail: 0 });
  });

  it('fails, after trying the failure notice, when the findings cannot be announced', async () => {
    // Given SNS refusing every publish
    const result = await run('health-check', input, {
      scenario: 'error-logs',
      faults: {
        ...scenarioFaults('error-logs'),
        outage: { calls: /^sns:Publish$/, error: 'AuthorizationErrorException', message: 'Not authorized' },
      },
    });
    // Then the run fails with the error caught: nobody heard of the findings
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'AuthorizationErrorException',
    });
    expect(result.events.some((e) => e.state === 'Notify Failure' && e.kind === 'scheduled')).toBe(true);
    expect(result.events.some((e) => e.state === 'Findings Recorded')).toBe(false);
  });

  it('refuses an environment that is not configured (constructor), naming the field, before any check', async () => {
    const result = await run('health-check', { ...input, environment: 'constructor' }, { scenario: 'happy' });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'InvalidInput',
    });
    expect(result.cause).toMatch(/environment: 'constructor' is not configured/);
    expect(result.events.some((e) => e.state?.startsWith('Check '))).toBe(false);
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([['failed', 'warning']]);
  });

  it('checks an environment without log groups, databases or alarms by what it has', async () => {
    const result = await run('health-check', { ...input, environment: 'dev' });
    expect(result.status).toBe('SUCCEEDED');
    const report = reportOf(result);
    expect(report.findings.map((f) => f.check)).toEqual([
      'network',
      'network',
      'network',
      'services',
      'load-balancers',
      'alarms',
    ]);
    expect(report.findings.find((f) => f.check === 'services')?.target).toBe('enterprise-dev-cluster/app');
    expect(report.verdict).toBe('pass');
  });
});
