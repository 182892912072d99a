import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkFiringAlarms } from '../../../tasks/health-check/check-firing-alarms.ts';
import { HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { MAX_PAGES } from '../../../tasks/pages.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const cloudwatchMock = mockClient(CloudWatchClient);
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
const everyAlarm = { ...request, alarmNamePrefix: null };

const alarmUrl = (name: string) =>
  `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/${name}`;

/**
 * The inputs of the DescribeAlarms calls as they were when sent: the SDK's paginator reuses one
 * input object, so the recorded calls would all show the last page's token.
 */
function answerPages(...pages: Partial<DescribeAlarmsCommandOutput>[]): DescribeAlarmsCommandInput[] {
  const sent: DescribeAlarmsCommandInput[] = [];
  cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
    sent.push({ ...input });
    const page = pages[sent.length - 1] ?? pages[pages.length - 1];
    return { $metadata: {}, ...page };
  });
  return sent;
}

describe('check-firing-alarms', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('reads every alarm in ALARM, metric and composite, of the prefix, page by page, and fails each', async () => {
    // Given two pages: a metric alarm, then a composite alarm
    const sent = answerPages(
      {
        MetricAlarms: [
          {
            AlarmName: 'enterprise-prod-app 5xx/errors',
            StateValue: 'ALARM',
            StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
            StateUpdatedTimestamp: new Date('2026-12-01T07:58:00.000Z'),
          },
        ],
        NextToken: 'page-2',
      },
      {
        CompositeAlarms: [
          {
            AlarmName: 'enterprise-prod-health',
            StateValue: 'ALARM',
            StateReason:
              'arn:aws:cloudwatch:us-east-1:123456789012:alarm:enterprise-prod-db-cpu transitioned to ALARM',
            StateUpdatedTimestamp: new Date('2026-12-01T08:01:30.000Z'),
          },
        ],
      },
    );

    // When
    const result = await invoke(checkFiringAlarms, { request }, clients);

    // Then both pages were asked for with the exact filter, the second with the first's token
    expect(sent).toStrictEqual([
      {
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        AlarmNamePrefix: 'enterprise-prod-',
        MaxRecords: 100,
        NextToken: undefined,
      },
      {
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        AlarmNamePrefix: 'enterprise-prod-',
        MaxRecords: 100,
        NextToken: 'page-2',
      },
    ]);
    // And each alarm is a failed finding with why and since when, and its console page
    expect(result).toStrictEqual({
      check: 'alarms',
      findings: [
        {
          check: 'alarms',
          target: 'enterprise-prod-app 5xx/errors',
          expected: 'not in ALARM',
          actual:
            'ALARM since 2026-12-01T07:58:00.000Z: Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
          verdict: 'fail',
          follow: alarmUrl('enterprise-prod-app%205xx%2Ferrors'),
        },
        {
          check: 'alarms',
          target: 'enterprise-prod-health',
          expected: 'not in ALARM',
          actual:
            'ALARM since 2026-12-01T08:01:30.000Z: arn:aws:cloudwatch:us-east-1:123456789012:alarm:enterprise-prod-db-cpu transitioned to ALARM',
          verdict: 'fail',
          follow: alarmUrl('enterprise-prod-health'),
        },
      ],
    });
    expect(checkFiringAlarms.summarize?.(result)).toBe('alarms: 0 pass, 0 warn, 2 fail');
  });

  it('reads every alarm of the region, with no AlarmNamePrefix at all, when the config gives no prefix', async () => {
    // Given
    const sent = answerPages({ MetricAlarms: [] });

    // When
    const result = await invoke(checkFiringAlarms, { request: everyAlarm }, clients);

    // Then one page was asked for, without a prefix
    expect(sent).toEqual([
      { StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
    ]);
    expect(Object.hasOwn(sent[0] ?? {}, 'AlarmNamePrefix')).toBe(false);
    // And the one finding says what was read
    expect(result).toStrictEqual({
      check: 'alarms',
      findings: [
        {
          check: 'alarms',
          target: 'every alarm of us-east-1',
          expected: 'none in ALARM',
          actual: 'none in ALARM',
          verdict: 'pass',
        },
      ],
    });
  });

  it('passes with one finding when no alarm of the prefix is in ALARM', async () => {
    // Given an answer with neither list
    answerPages({});

    // When
    const result = await invoke(checkFiringAlarms, { request }, clients);

    // Then
    expect(result).toStrictEqual({
      check: 'alarms',
      findings: [
        {
          check: 'alarms',
          target: 'alarms named enterprise-prod-*',
          expected: 'none in ALARM',
          actual: 'none in ALARM',
          verdict: 'pass',
        },
      ],
    });
    expect(checkFiringAlarms.summarize?.(result)).toBe('alarms: 1 pass, 0 warn, 0 fail');
  });

  it('shows a state reason harmlessly and short, and an alarm without a name or time as such', async () => {
    // Given a reason with an ESC sequence, a forged line and 300 characters, and no name or time
    answerPages({
      MetricAlarms: [{ StateValue: 'ALARM', StateReason: `\u001b[2J\nPASS all${'x'.repeat(300)}` }],
    });

    // When
    const result = await invoke(checkFiringAlarms, { request }, clients);

    // Then
    const [finding] = result.findings;
    expect(finding?.target).toBe('?');
    expect(finding?.follow).toBe(alarmUrl(''));
    const reason = `\\x1b[2J\\nPASS all${'x'.repeat(300)}`.slice(0, 199);
    expect(finding?.actual).toBe(`ALARM since unknown: ${reason}…`);
  });

  it(`says that alarms were left unread after ${MAX_PAGES} pages`, async () => {
    // Given every page has one alarm and a token for another page
    const sent = answerPages({
      MetricAlarms: [{ AlarmName: 'enterprise-prod-a', StateValue: 'ALARM', StateReason: 'r' }],
      NextToken: 'more',
    });

    // When
    const result = await invoke(checkFiringAlarms, { request }, clients);

    // Then the bound's pages were read and one more was looked at, and a failed finding says so
    expect(sent).toHaveLength(MAX_PAGES + 1);
    expect(result.findings).toHaveLength(MAX_PAGES + 1);
    expect(result.findings.slice(0, MAX_PAGES).every((f) => f.target === 'enterprise-prod-a')).toBe(true);
    expect(result.findings[MAX_PAGES]).toStrictEqual({
      check: 'alarms',
      target: 'alarms named enterprise-prod-*',
      expected: 'every alarm in ALARM read',
      actual: 'more alarms in ALARM than one check reads; only the first are listed',
      verdict: 'fail',
    });
  });

  it(`says nothing of unread alarms when the ${MAX_PAGES}th page is the last`, async () => {
    // Given exactly MAX_PAGES pages, the last without a token
    const page = {
      MetricAlarms: [{ AlarmName: 'enterprise-prod-a', StateValue: 'ALARM' as const, StateReason: 'r' }],
    };
    const sent = answerPages(
      ...Array.from({ length: MAX_PAGES - 1 }, () => ({ ...page, NextToken: 'more' })),
      page,
    );

    // When
    const result = await invoke(checkFiringAlarms, { request }, clients);

    // Then
    expect(sent).toHaveLength(MAX_PAGES);
    expect(result.findings).toHaveLength(MAX_PAGES);
    expect(result.findings.every((f) => f.expected === 'not in ALARM')).toBe(true);
  });

  it('lists an unread remainder even when nothing read was in ALARM', async () => {
    // Given empty pages that never end
    answerPages({ MetricAlarms: [], NextToken: 'more' });

    // When
    const result = await invoke(checkFiringAlarms, { request: everyAlarm }, clients);

    // Then
    expect(result.findings.map((f) => [f.verdict, f.expected, f.target])).toEqual([
      ['pass', 'none in ALARM', 'every alarm of us-east-1'],
      ['fail', 'every alarm in ALARM read', 'every alarm of us-east-1'],
    ]);
  });

  it('surfaces throttling as TransientAwsError, and keeps any other error', async () => {
    // Given
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .rejectsOnce(throttled())
      .rejects(awsError('AccessDenied', 'not allowed'));

    // When
    const first = invoke(checkFiringAlarms, { request }, clients);

    // Then
    await expect(first).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'CloudWatch DescribeAlarms: ThrottlingException: Rate exceeded',
    });
    await expect(invoke(checkFiringAlarms, { request }, clients)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'not allowed',
    });
  });

  it('refuses a request that is not a health-check request, calling nothing', async () => {
    // Given
    const invalid = { request: { ...request, procedure: 'production-deployment' } };

    // When
    const checked = invoke(checkFiringAlarms, invalid, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('check-firing-alarms: request.procedure: '),
    });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted DescribeAlarms on every alarm: the alarms in ALARM are not named in advance', () => {
    // Given / When / Then
    expect(checkFiringAlarms.actions).toEqual(['cloudwatch:DescribeAlarms']);
    expect(checkFiringAlarms.everyResource).toEqual(['cloudwatch:DescribeAlarms']);
  });
});
