// Every path of the resource-usage state machine, executed by the local engine on the synthesized
// definition against the simulated account (its CloudWatch metrics): what each figure shows, what is
// announced, and that nothing changes on any path.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../infra/config.ts';
import type { UsageReport } from '../../tasks/resource-usage/read-usage.ts';
import { changes, config, definitionsOnce, example, run, scenarioFaults } from './support.ts';

const input = example('resource-usage');

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const reportOf = (result: Result) => result.output as UsageReport;
const verdicts = (result: Result) =>
  Object.fromEntries(
    reportOf(result).figures.map((f) => [`${f.resource} ${f.target} ${f.label}`, f.verdict]),
  );

const EVERY = [
  'ecs-cluster enterprise-prod-cluster CPU',
  'ecs-cluster enterprise-prod-cluster memory',
  'ecs-service enterprise-prod-cluster/app-service CPU',
  'ecs-service enterprise-prod-cluster/app-service memory',
  'rds enterprise-prod-db CPU',
  'rds enterprise-prod-db connections',
  'rds enterprise-prod-db free storage',
  's3 enterprise-prod-app size',
];

describe('resource-usage', () => {
  it('reads every figure of the environment and the week before, all within: announces nothing, changes nothing', async () => {
    // (the app's cluster is Fargate-only: ECS publishes no cluster figure of it)
    const result = await run('resource-usage', input);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
    const report = reportOf(result);
    expect(report.figures.map((f) => `${f.resource} ${f.target} ${f.label}`)).toEqual(EVERY);
    expect(report).toMatchObject({
      environment: 'prod',
      counts: { ok: 6, breach: 0, noData: 2 },
      severity: null,
      summary: 'prod: no breach among the 6 of 8 figures over the last 60 minutes that had data; 2 had none.',
    });
    expect(report.figures.slice(0, 2).map((f) => [f.resource, f.verdict, f.note])).toEqual([
      ['ecs-cluster', 'no-data', expect.stringMatching(/only for its EC2 capacity/)],
      ['ecs-cluster', 'no-data', expect.stringMatching(/only for its EC2 capacity/)],
    ]);
    // Every other figure has a value now and a week before, near what the simulated account keeps
    for (const f of report.figures.slice(2)) {
      expect(f.value, f.label).not.toBeNull();
      expect(f.weekBefore, f.label).not.toBeNull();
    }
    const value = (label: string) =>
      report.figures.find((f) => `${f.resource} ${f.target} ${f.label}` === label)?.value;
    expect(value('ecs-service enterprise-prod-cluster/app-service CPU')).toBeGreaterThan(30);
    expect(value('ecs-service enterprise-prod-cluster/app-service CPU')).toBeLessThan(40);
    expect(value('rds enterprise-prod-db free storage')).toBeCloseTo(60, 0);
    expect(value('s3 enterprise-prod-app size')).toBeGreaterThan(115);
    // The window is the hour before the step, to the minute
    const window = Date.parse(report.window.end) - Date.parse(report.window.start);
    expect(window).toBe(3600_000);
    expect(Date.parse(report.weekBefore.end)).toBe(Date.parse(report.window.end) - 7 * 86_400_000);
    expect(result.account.notifications).toEqual([]);
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
    expect(result.events.some((e) => e.state === 'Within Thresholds')).toBe(true);
  });

  it('cpu-breach: the service breaches, against about 35 % a week before; announced once at warning', async () => {
    const result = await run('resource-usage', input, { scenario: 'cpu-breach' });
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
    const report = reportOf(result);
    expect(report.counts).toEqual({ ok: 5, breach: 1, noData: 2 });
    const [hot] = report.figures;
    expect([hot?.target, hot?.label, hot?.verdict]).toEqual([
      'enterprise-prod-cluster/app-service',
      'CPU',
      'breach',
    ]);
    expect(hot?.value).toBeGreaterThan(90);
    expect(hot?.weekBefore).toBeLessThan(40);
    expect(result.account.notifications.map((n) => [n.event, n.severity, n.subject])).toEqual([
      ['breach', 'warning', '[WARNING] resource-usage prod: 1 beyond their threshold'],
    ]);
    expect(result.events.some((e) => e.state === 'Breach Recorded')).toBe(true);
    expect(changes(result)).toEqual([]);
  });

  it('storage-low: the free storage alone breaches its minimum', async () => {
    const result = await run('resource-usage', input, { scenario: 'storage-low' });
    expect(result.status).toBe('SUCCEEDED');
    expect(Object.entries(verdicts(result)).filter(([, v]) => v === 'breach')).toEqual([
      ['rds enterprise-prod-db free storage', 'breach'],
    ]);
    const storage = reportOf(result).figures[0];
    expect(storage?.value).toBeCloseTo(4, 0);
    expect(storage?.weekBefore).toBeCloseTo(60, 0);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['breach']);
  });

  it('metrics-missing: the bucket is no data, in the report and not announced', async () => {
    const result = await run('resource-usage', input, { scenario: 'metrics-missing' });
    expect(result.status).toBe('SUCCEEDED');
    const bucket = reportOf(result).figures.find((f) => f.resource === 's3');
    expect(bucket).toMatchObject({
      resource: 's3',
      verdict: 'no-data',
      value: null,
      weekBefore: null,
      note: 'no datapoint in the window: is the metric published?',
    });
    expect(reportOf(result).counts).toEqual({ ok: 5, breach: 0, noData: 3 });
    expect(result.account.notifications).toEqual([]);
  });

  it('read-not-permitted: fails with UsageUnreadable naming the refusal, after the failure notice', async () => {
    const result = await run('resource-usage', input, { scenario: 'read-not-permitted' });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'UsageUnreadable',
    });
    expect(result.cause).toMatch(
      /^CloudWatch GetMetricData: AccessDenied: .*not authorized to perform: cloudwatch:GetMetricData/,
    );
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([['failed', 'warning']]);
    expect(changes(result)).toEqual([]);
  });

  it('rides out throttling of GetMetricData: the read is retried and the report is whole', async () => {
    const result = await run('resource-usage', input, {
      scenario: 'throttling',
      faults: { throttling: { calls: /^cloudwatch:GetMetricData$/, everySeconds: 4, forSeconds: 2 } },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(reportOf(result).counts).toEqual({ ok: 6, breach: 0, noData: 2 });
  });

  it('fails, after trying the failure notice, when a breach cannot be announced', async () => {
    const result = await run('resource-usage', input, {
      scenario: 'cpu-breach',
      faults: {
        ...scenarioFaults('cpu-breach'),
        outage: { calls: /^sns:Publish$/, error: 'AuthorizationErrorException', message: 'Not authorized' },
      },
    });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'AuthorizationErrorException',
    });
    expect(result.events.some((e) => e.state === 'Notify Failure' && e.kind === 'scheduled')).toBe(true);
    expect(result.events.some((e) => e.state === 'Breach Recorded')).toBe(false);
  });

  it('refuses an environment that is not configured (constructor), naming the field, before any read', async () => {
    const result = await run('resource-usage', { ...input, environment: 'constructor' });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'InvalidInput',
    });
    expect(result.cause).toMatch(/environment: 'constructor' is not configured/);
    expect(result.events.some((e) => e.state === 'Read Usage')).toBe(false);
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([['failed', 'warning']]);
  });

  it("pages on a breach when the environment's config says so, and reads a shorter window", async () => {
    const prod = config.environments.prod;
    if (!prod) throw new Error('no prod');
    const paging: Config = {
      ...config,
      environments: {
        ...config.environments,
        prod: { ...prod, resourceUsage: { ...prod.resourceUsage, windowMinutes: 15, notify: 'page' } },
      },
    };
    const result = await run('resource-usage', input, { scenario: 'cpu-breach', config: paging });
    const report = reportOf(result);
    expect(Date.parse(report.window.end) - Date.parse(report.window.start)).toBe(15 * 60_000);
    expect(report.summary).toMatch(/over the last 15 minutes/);
    expect(result.account.notifications.map((n) => n.severity)).toEqual(['page']);
  });

  it('reads an environment without databases or buckets by what it has', async () => {
    const result = await run('resource-usage', { ...input, environment: 'dev' });
    expect(result.status).toBe('SUCCEEDED');
    expect(Object.keys(verdicts(result))).toEqual([
      'ecs-cluster enterprise-dev-cluster CPU',
      'ecs-cluster enterprise-dev-cluster memory',
      'ecs-service enterprise-dev-cluster/app CPU',
      'ecs-service enterprise-dev-cluster/app memory',
    ]);
    expect(result.account.notifications).toEqual([]);
  });
});
