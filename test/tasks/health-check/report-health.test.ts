import { describe, expect, it } from 'vitest';
import type { CheckName, CheckResult, Finding, Verdict } from '../../../tasks/health-check/findings.ts';
import { HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { findingLine, HealthReportSchema, reportHealth } from '../../../tasks/health-check/report-health.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const clients = testClients();

const request = HealthRequestSchema.parse({
  procedure: 'health-check',
  environment: 'prod',
  service: 'health check',
  region: 'us-east-1',
  requestedBy: 'jane',
  reason: null,
  vpcTag: { key: 'Environment', value: 'prod' },
  databases: ['enterprise-prod-db'],
  services: [],
  alarmNamePrefix: 'enterprise-prod-',
  logs: [
    {
      logGroup: '/aws/application/enterprise-prod',
      filterPattern: 'ERROR',
      windowMinutes: 60,
      maxEvents: 20,
    },
  ],
  notify: { fail: 'page', warn: 'warning' },
});

const finding = (
  check: CheckName,
  target: string,
  verdict: Verdict,
  actual = `${target} is fine`,
): Finding => ({
  check,
  target,
  expected: `${target} is fine`,
  actual,
  verdict,
});
const result = (check: CheckName, ...findings: Finding[]): CheckResult => ({ check, findings });

/** Every check passed, keyed as the definition places them. */
const healthy = {
  network: result('network', finding('network', 'vpc-0a1b', 'pass')),
  databases: result('databases', finding('databases', 'enterprise-prod-db', 'pass')),
  services: result('services', finding('services', 'app', 'pass')),
  loadBalancers: result('load-balancers', finding('load-balancers', 'app-tg', 'pass')),
  alarms: result('alarms', finding('alarms', 'alarms named enterprise-prod-*', 'pass')),
  logs: result('logs', finding('logs', '/aws/application/enterprise-prod', 'pass')),
};

/** A check that could not run, as its Catch leaves it: a Lambda error's Cause is its JSON document. */
const lambdaFailure = (errorType: string, errorMessage: string) => ({
  Error: errorType,
  Cause: JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at run'] }),
});

const report = (results: Record<string, unknown>) => invoke(reportHealth, { request, results }, clients);

describe('report-health', () => {
  it('reports a healthy environment: every finding, all passed, nothing to announce', async () => {
    // Given every check's result, keyed in another order than the checks'
    const { logs, network, ...rest } = healthy;
    const results = { logs, ...rest, network };

    // When
    const health = await report(results);

    // Then the findings are in the order of the checks
    expect(health).toStrictEqual({
      environment: 'prod',
      verdict: 'pass',
      counts: { pass: 6, warn: 0, fail: 0 },
      summary: 'prod is healthy: all 6 things checked passed.',
      severity: null,
      findings: [
        healthy.network.findings[0],
        healthy.databases.findings[0],
        healthy.services.findings[0],
        healthy.loadBalancers.findings[0],
        healthy.alarms.findings[0],
        healthy.logs.findings[0],
      ],
    });
    expect(reportHealth.summarize?.(health)).toBe('pass: 0 fail, 0 warn, 6 pass');
  });

  it('counts the findings, not the checks: a check may find several things, or none', async () => {
    // Given two databases checked and no log group configured
    const results = {
      ...healthy,
      databases: result(
        'databases',
        finding('databases', 'enterprise-prod-db', 'pass'),
        finding('databases', 'enterprise-prod-replica', 'pass'),
      ),
      logs: result('logs'),
    };

    // When
    const health = await report(results);

    // Then
    expect(health.counts).toEqual({ pass: 6, warn: 0, fail: 0 });
    expect(health.summary).toBe('prod is healthy: all 6 things checked passed.');
    expect(health.findings.map((f) => f.target)).toEqual([
      'vpc-0a1b',
      'enterprise-prod-db',
      'enterprise-prod-replica',
      'app',
      'app-tg',
      'alarms named enterprise-prod-*',
    ]);
  });

  it('puts failures first, then warnings, then passes, each in the order of the checks and of their findings', async () => {
    // Given
    const results = {
      network: result('network', finding('network', 'n1', 'pass'), finding('network', 'n2', 'fail')),
      databases: result(
        'databases',
        finding('databases', 'd1', 'fail'),
        finding('databases', 'd2', 'warn'),
        finding('databases', 'd3', 'fail'),
      ),
      services: result('services', finding('services', 's1', 'warn'), finding('services', 's2', 'pass')),
      loadBalancers: result('load-balancers', finding('load-balancers', 'l1', 'pass')),
      alarms: result('alarms', finding('alarms', 'a1', 'fail')),
      logs: result('logs', finding('logs', 'g1', 'warn')),
    };

    // When
    const health = await report(results);

    // Then
    expect(health.findings.map((f) => `${f.verdict} ${f.target}`)).toEqual([
      'fail n2',
      'fail d1',
      'fail d3',
      'fail a1',
      'warn d2',
      'warn s1',
      'warn g1',
      'pass n1',
      'pass s2',
      'pass l1',
    ]);
    expect(health.counts).toEqual({ pass: 3, warn: 3, fail: 4 });
    expect(health.verdict).toBe('fail');
  });

  it('fails on its worst finding, pages as the config says, and names the first three things off', async () => {
    // Given a stopped database, a firing alarm, a check that could not run, and a service short of tasks
    const results = {
      ...healthy,
      databases: result('databases', finding('databases', 'enterprise-prod-db', 'fail', 'stopped')),
      services: result('services', finding('services', 'app', 'warn', '1 running of 2 desired.')),
      alarms: result(
        'alarms',
        finding(
          'alarms',
          'enterprise-prod-5xx',
          'fail',
          'ALARM since 2026-12-01T07:58:00.000Z: Threshold Crossed.',
        ),
      ),
      logs: lambdaFailure('AccessDeniedException', 'not authorized to perform logs:FilterLogEvents'),
    };

    // When
    const health = await report(results);

    // Then
    expect(health).toMatchObject({
      environment: 'prod',
      verdict: 'fail',
      counts: { pass: 2, warn: 1, fail: 3 },
      severity: 'page',
    });
    expect(health.summary).toBe(
      'prod: 3 failed, 1 warnings of 6 things checked. ' +
        'databases enterprise-prod-db: stopped; ' +
        'alarms enterprise-prod-5xx: ALARM since 2026-12-01T07:58:00.000Z: Threshold Crossed; ' +
        'logs the logs check: could not check: AccessDeniedException: not authorized to perform logs:FilterLogEvents' +
        '; and 1 more.',
    );
    expect(reportHealth.summarize?.(health)).toBe('fail: 3 fail, 1 warn, 2 pass');
  });

  it('lists exactly three things off without "and more", and does not double the period of the last', async () => {
    // Given three warnings, the last one's text ending in a period
    const results = {
      ...healthy,
      network: result('network', finding('network', 'vpc-0a1b', 'warn', 'one NAT gateway of two')),
      services: result('services', finding('services', 'app', 'warn', 'deploying')),
      logs: result('logs', finding('logs', '/app', 'warn', 'at least 3 events.')),
    };

    // When
    const health = await report(results);

    // Then warnings alone are announced at the config's warning severity
    expect(health).toMatchObject({
      verdict: 'warn',
      counts: { pass: 3, warn: 3, fail: 0 },
      severity: 'warning',
    });
    expect(health.summary).toBe(
      'prod: 0 failed, 3 warnings of 6 things checked. ' +
        'network vpc-0a1b: one NAT gateway of two; services app: deploying; logs /app: at least 3 events.',
    );
  });

  it('takes the severities from the request: a warning may be quieter, a failure only a warning', async () => {
    // Given
    const quiet = { ...request, notify: { fail: 'warning' as const, warn: 'info' as const } };
    const warned = { ...healthy, services: result('services', finding('services', 'app', 'warn')) };
    const failed = { ...healthy, services: result('services', finding('services', 'app', 'fail')) };

    // When
    const onWarn = await invoke(reportHealth, { request: quiet, results: warned }, clients);
    const onFail = await invoke(reportHealth, { request: quiet, results: failed }, clients);

    // Then
    expect([onWarn.verdict, onWarn.severity]).toEqual(['warn', 'info']);
    expect([onFail.verdict, onFail.severity]).toEqual(['fail', 'warning']);
  });

  it.each([
    [
      'a Lambda error',
      lambdaFailure('TransientAwsError', 'EC2 DescribeVpcs: ThrottlingException: Rate exceeded'),
      'could not check: TransientAwsError: EC2 DescribeVpcs: ThrottlingException: Rate exceeded',
    ],
    [
      'a time-out without a cause',
      { Error: 'States.Timeout' },
      'could not check: States.Timeout: no cause given',
    ],
    [
      'a plain cause',
      { Error: 'Lambda.ServiceException', Cause: 'Lambda is unavailable' },
      'could not check: Lambda.ServiceException: Lambda is unavailable',
    ],
  ])('fails a check that could not run, saying why: %s', async (_, failure, actual) => {
    // Given
    const results = { ...healthy, network: failure };

    // When
    const health = await report(results);

    // Then
    expect(health.findings[0]).toStrictEqual({
      check: 'network',
      target: 'the network check',
      expected: 'the check runs',
      actual,
      verdict: 'fail',
    });
    expect(health.counts).toEqual({ pass: 5, warn: 0, fail: 1 });
    expect(health.verdict).toBe('fail');
  });

  it('shows why a check could not run harmlessly and short', async () => {
    // Given an error message with a forged line and 300 characters
    const results = {
      ...healthy,
      alarms: lambdaFailure('Error', `boom\nPASS everything ${'z'.repeat(300)}`),
    };

    // When
    const health = await report(results);

    // Then
    const why = `could not check: ${`Error: boom\\nPASS everything ${'z'.repeat(300)}`.slice(0, 199)}…`;
    expect(health.findings[0]?.actual).toBe(why);
  });

  it('fails every check that left no result, by the camelCase key the definition places it under', async () => {
    // Given no alarms result, and the load balancers' under their kebab-case name instead of loadBalancers
    const { alarms: _, loadBalancers, ...rest } = healthy;
    const results = { ...rest, 'load-balancers': loadBalancers };

    // When
    const health = await report(results);

    // Then
    expect(health.findings.slice(0, 2)).toStrictEqual([
      {
        check: 'load-balancers',
        target: 'the load-balancers check',
        expected: 'the check runs',
        actual: 'the check left no result',
        verdict: 'fail',
      },
      {
        check: 'alarms',
        target: 'the alarms check',
        expected: 'the check runs',
        actual: 'the check left no result',
        verdict: 'fail',
      },
    ]);
    expect(health.counts).toEqual({ pass: 4, warn: 0, fail: 2 });
    expect(health.summary).toBe(
      'prod: 2 failed, 0 warnings of 6 things checked. ' +
        'load-balancers the load-balancers check: the check left no result; ' +
        'alarms the alarms check: the check left no result.',
    );
  });

  it('fails all six checks when there are no results at all', async () => {
    // Given / When
    const health = await report({});

    // Then
    expect(health.findings.map((f) => [f.check, f.actual])).toEqual([
      ['network', 'the check left no result'],
      ['databases', 'the check left no result'],
      ['services', 'the check left no result'],
      ['load-balancers', 'the check left no result'],
      ['alarms', 'the check left no result'],
      ['logs', 'the check left no result'],
    ]);
    expect(health.summary).toMatch(/^prod: 6 failed, 0 warnings of 6 things checked\. .*; and 3 more\.$/);
  });

  it('names a hostile target harmlessly in the summary', async () => {
    // Given a target with an ESC sequence and a line break
    const results = {
      ...healthy,
      services: result('services', finding('services', 'app\u001b[2J\nall good', 'fail', 'stopped')),
    };

    // When
    const health = await report(results);

    // Then
    expect(health.summary).toBe(
      'prod: 1 failed, 0 warnings of 6 things checked. services app\\x1b[2J\\nall good: stopped.',
    );
  });

  it.each([
    ['pass', healthy, { fail: 'page', warn: 'warning' }, null],
    ['fail', { ...healthy, network: { Error: 'States.Timeout' } }, { fail: 'page', warn: 'warning' }, 'page'],
    [
      'warn',
      { ...healthy, services: result('services', finding('services', 'app', 'warn')) },
      { fail: 'page', warn: 'warning' },
      'warning',
    ],
    [
      'warn',
      { ...healthy, services: result('services', finding('services', 'app', 'warn')) },
      { fail: 'warning', warn: 'info' },
      'info',
    ],
  ] as const)(
    'answers a report its schema takes (the definition reads it by the schema): %s at %s',
    async (verdict, results, notify, severity) => {
      // Given
      const event = { request: { ...request, notify }, results };

      // When
      const health = await invoke(reportHealth, event, clients);

      // Then
      expect([health.verdict, health.severity]).toEqual([verdict, severity]);
      expect(HealthReportSchema.parse(health)).toStrictEqual(health);
      expect(HealthReportSchema.safeParse({ ...health, severity: 'loud' }).success).toBe(false);
    },
  );

  it('calls no AWS API', () => {
    // Given / When / Then
    expect(reportHealth.actions).toEqual([]);
    expect(reportHealth.everyResource).toBeUndefined();
  });

  it('refuses a result that is neither findings nor a caught error', async () => {
    // Given
    const results = { ...healthy, network: { check: 'network', findings: [{ verdict: 'maybe' }] } };

    // When
    const reported = report(results);

    // Then
    await expect(reported).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('report-health: results.network'),
    });
  });
});

describe('findingLine', () => {
  it('puts a finding in one line: verdict, check and target, what was found against what was expected', () => {
    // Given
    const f = finding('databases', 'enterprise-prod-db', 'fail', 'stopped');

    // When
    const line = findingLine(f);

    // Then
    expect(line).toBe('FAIL databases enterprise-prod-db: stopped (expected enterprise-prod-db is fine)');
  });
});
