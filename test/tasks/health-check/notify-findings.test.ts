import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../tasks/health-check/findings.ts';
import { notifyFindings } from '../../../tasks/health-check/notify-findings.ts';
import { findingLine, type HealthReport } from '../../../tasks/health-check/report-health.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const snsMock = mockClient(SNSClient);
const clients = testClients();

const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-notifications';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:runbook-health-check:morning-1';
const logFollow =
  'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/%2Fapp';

const failed: Finding = {
  check: 'logs',
  target: '/app',
  expected: 'at most 20 events matching ERROR in 60 minutes',
  actual: 'more than 20 events matching ERROR in the last 60 minutes',
  verdict: 'fail',
  follow: logFollow,
  samples: ['ERROR db timeout', 'ERROR db timeout again'],
};
const warned: Finding = {
  check: 'services',
  target: 'app',
  expected: '2 running of 2 desired',
  actual: '1 running of 2 desired',
  verdict: 'warn',
};
const passed: Finding = {
  check: 'network',
  target: 'vpc-0a1b',
  expected: 'available',
  actual: 'available',
  verdict: 'pass',
  follow:
    'https://us-east-1.console.aws.amazon.com/vpcconsole/home?region=us-east-1#VpcDetails:VpcId=vpc-0a1b',
};

const report: HealthReport = {
  environment: 'prod',
  verdict: 'fail',
  counts: { pass: 1, warn: 0, fail: 1 },
  summary:
    'prod: 1 failed, 0 warnings of 2 things checked. logs /app: more than 20 events matching ERROR in the last 60 minutes.',
  severity: 'page',
  findings: [failed, passed],
};
const base = { topicArn, procedure: 'health-check', executionId, report };

const attributes = (severity: string) => ({
  event: { DataType: 'String', StringValue: 'findings' },
  severity: { DataType: 'String', StringValue: severity },
});

const sentMessages = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
/** The Message's lines that carry text (whether blank separator lines reach SNS is a test of its own). */
const textLines = (message: string | undefined) => (message ?? '').split('\n').filter((line) => line !== '');

describe('notify-findings', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('announces a failed check once, at its severity: the summary, each finding off with its samples and link, the execution', async () => {
    // Given a report with a failed finding and a passed one

    // When
    const result = await invoke(notifyFindings, base, clients);

    // Then
    expect(result).toEqual({ event: 'findings', severity: 'page', findings: 1 });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const [sent] = sentMessages();
    expect(sent).toMatchObject({
      TopicArn: topicArn,
      Subject: '[PAGE] health-check prod: 1 failed, 0 warnings',
      MessageAttributes: attributes('page'),
    });
    expect(Object.keys(sent ?? {}).sort()).toEqual(['Message', 'MessageAttributes', 'Subject', 'TopicArn']);
    expect(textLines(sent?.Message)).toEqual([
      report.summary,
      'FAIL logs /app: more than 20 events matching ERROR in the last 60 minutes (expected at most 20 events matching ERROR in 60 minutes)',
      '    ERROR db timeout',
      '    ERROR db timeout again',
      `    ${logFollow}`,
      `Execution: ${executionId}`,
    ]);
    expect(sent?.Message).not.toContain('vpc-0a1b');
    expect(notifyFindings.summarize?.(result)).toBe('findings notice sent (page, 1 findings)');
  });

  it('lists failures and warnings in the order of the report, a finding without samples or link in one line', async () => {
    // Given warnings only, announced as warning
    const second: Finding = { ...warned, target: 'worker', follow: undefined };
    const warnings: HealthReport = {
      ...report,
      verdict: 'warn',
      counts: { pass: 1, warn: 2, fail: 0 },
      summary:
        'prod: 0 failed, 2 warnings of 3 things checked. services app: 1 running of 2 desired; services worker: 1 running of 2 desired.',
      severity: 'warning',
      findings: [warned, second, passed],
    };

    // When
    const result = await invoke(notifyFindings, { ...base, report: warnings }, clients);

    // Then
    expect(result).toEqual({ event: 'findings', severity: 'warning', findings: 2 });
    const [sent] = sentMessages();
    expect(sent).toMatchObject({
      Subject: '[WARNING] health-check prod: 0 failed, 2 warnings',
      MessageAttributes: attributes('warning'),
    });
    expect(textLines(sent?.Message)).toEqual([
      warnings.summary,
      findingLine(warned),
      findingLine(second),
      `Execution: ${executionId}`,
    ]);
    expect(findingLine(warned)).toBe(
      'WARN services app: 1 running of 2 desired (expected 2 running of 2 desired)',
    );
  });

  it('names the procedure it is given in the subject, and announces at info when the config says so', async () => {
    // Given
    const event = {
      ...base,
      procedure: 'health-check-staging',
      report: { ...report, severity: 'info' as const },
    };

    // When
    await invoke(notifyFindings, event, clients);

    // Then
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      Subject: '[INFO] health-check-staging prod: 1 failed, 0 warnings',
      MessageAttributes: attributes('info'),
    });
  });

  // '' is a blank line of the Message (publish drops only null, undefined and false).
  it('separates the summary, the findings and the execution line with blank lines', async () => {
    // Given / When
    await invoke(notifyFindings, base, clients);

    // Then
    const [sent] = sentMessages();
    expect(sent?.Message?.split('\n')).toEqual([
      report.summary,
      '',
      findingLine(failed),
      '    ERROR db timeout',
      '    ERROR db timeout again',
      `    ${logFollow}`,
      '',
      `Execution: ${executionId}`,
    ]);
  });

  it('says how many failed and warned findings the report left out, before the execution line', async () => {
    // Given a report whose checks kept only their worst findings
    const cut = { ...report, unlisted: { pass: 40, warn: 3, fail: 2 } };

    // When
    await invoke(notifyFindings, { ...base, report: cut }, clients);

    // Then
    const [sent] = sentMessages();
    expect(sent?.Message?.split('\n').slice(-3)).toEqual([
      'And 2 failed and 3 warned more than the report lists: each check keeps its worst findings; the console pages above show the rest.',
      '',
      `Execution: ${executionId}`,
    ]);
  });

  it('shows hostile finding text harmlessly: no newline or ESC forges a line of the Message', async () => {
    // Given a finding whose texts carry line breaks and ESC sequences, as the report passes them on
    const hostile: Finding = {
      check: 'logs',
      target: '/app\nPASS logs /app',
      expected: 'few\r\nExecution: forged',
      actual: '\u001b[2Jmore than 20 events\nall clear',
      verdict: 'fail',
      follow: 'https://example.com/\nclick here',
      samples: ['ERROR a\nPASS forged sample', 'ERROR \u001b[31mred'],
    };
    const event = {
      ...base,
      report: { ...report, summary: 'prod: 1 failed\nprod is healthy', findings: [hostile] },
    };

    // When
    await invoke(notifyFindings, event, clients);

    // Then every control character is an escape, and the Message has only the notice's own lines
    const [sent] = sentMessages();
    expect(sent?.Message).not.toContain('\u001b');
    expect(sent?.Message).not.toContain('\r');
    expect(textLines(sent?.Message)).toEqual([
      'prod: 1 failed\\nprod is healthy',
      'FAIL logs /app\\nPASS logs /app: \\x1b[2Jmore than 20 events\\nall clear (expected few\\r\\nExecution: forged)',
      '    ERROR a\\nPASS forged sample',
      '    ERROR \\x1b[31mred',
      '    https://example.com/\\nclick here',
      `Execution: ${executionId}`,
    ]);
  });

  it('keeps the subject printable ASCII within the 100 characters SNS allows', async () => {
    // Given an environment name with a line break, a non-ASCII character and 120 more characters
    const event = { ...base, report: { ...report, environment: `pröd\n${'x'.repeat(120)}` } };

    // When
    await invoke(notifyFindings, event, clients);

    // Then
    const subject = sentMessages()[0]?.Subject;
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^\[PAGE\] health-check pr\\u\{f6\}d\\nx+$/);
  });

  it('refuses a report with nothing to announce (severity null) as InvalidInput, without publishing', async () => {
    // Given a healthy run's report
    const healthy = { ...report, verdict: 'pass', counts: { pass: 1, warn: 0, fail: 0 }, severity: null };

    // When
    const notified = invoke(notifyFindings, { ...base, report: healthy }, clients);

    // Then
    await expect(notified).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('notify-findings: report.severity: '),
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['topicArn', { ...base, topicArn: '' }],
    ['procedure', { ...base, procedure: '' }],
    ['executionId', { ...base, executionId: undefined }],
    ['report.findings', { ...base, report: { ...report, findings: undefined } }],
  ])('refuses an invalid %s as InvalidInput naming it, without publishing', async (field, invalid) => {
    // Given / When
    const notified = invoke(notifyFindings, invalid, clients);

    // Then
    await expect(notified).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(`notify-findings: ${field}: `),
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted sns:Publish only', () => {
    // Given / When / Then
    expect(notifyFindings.actions).toEqual(['sns:Publish']);
    expect(notifyFindings.everyResource).toBeUndefined();
  });

  it('surfaces throttling as TransientAwsError, and keeps any other error', async () => {
    // Given
    snsMock
      .on(PublishCommand)
      .rejectsOnce(throttled())
      .rejects(awsError('NotFoundException', 'Topic does not exist'));

    // When
    const first = invoke(notifyFindings, base, clients);

    // Then
    await expect(first).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'SNS Publish (findings): ThrottlingException: Rate exceeded',
    });
    await expect(invoke(notifyFindings, base, clients)).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
    });
  });
});
