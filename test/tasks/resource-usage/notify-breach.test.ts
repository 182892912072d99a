import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notifyBreach } from '../../../tasks/resource-usage/notify-breach.ts';
import { type Figure, figureLine, type UsageReport } from '../../../tasks/resource-usage/read-usage.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients } from '../support.ts';

const snsMock = mockClient(SNSClient);
const clients = testClients();

const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-notifications';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:runbook-resource-usage:every-4-hours';

const hot: Figure = {
  resource: 'ecs-service',
  target: 'prod-cluster/app-service',
  label: 'CPU',
  unit: '%',
  threshold: { max: 80 },
  follow: 'https://console/app',
  value: 93,
  asOf: '2026-12-04T09:00:00.000Z',
  weekBefore: 35,
  verdict: 'breach',
};
const missing: Figure = {
  resource: 's3',
  target: 'enterprise-prod-app',
  label: 'size',
  unit: 'GiB',
  threshold: null,
  follow: 'https://console/bucket',
  value: null,
  asOf: null,
  weekBefore: null,
  verdict: 'no-data',
  note: 'no datapoint in the window: is the metric published?',
};
const fine: Figure = { ...hot, target: 'prod-cluster', resource: 'ecs-cluster', value: 40, verdict: 'ok' };

const report: UsageReport & { severity: 'warning' } = {
  environment: 'prod',
  window: { start: '2026-12-04T09:00:00.000Z', end: '2026-12-04T10:00:00.000Z' },
  weekBefore: { start: '2026-11-27T09:00:00.000Z', end: '2026-11-27T10:00:00.000Z' },
  counts: { ok: 1, breach: 1, noData: 1 },
  summary:
    'prod: 1 of 3 figures over the last 60 minutes breach their threshold: ecs-service prod-cluster/app-service CPU 93 % (at most 80 %). 1 had no data.',
  severity: 'warning',
  figures: [hot, missing, fine],
};
const base = { topicArn, procedure: 'resource-usage', executionId, report };
const sent = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);

describe('notify-breach', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('announces a breach once at its severity: the summary, the windows, each figure off with its link, the execution', async () => {
    const result = await invoke(notifyBreach, base, clients);
    expect(result).toEqual({ event: 'breach', severity: 'warning', breaches: 1 });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const [message] = sent();
    expect(message).toStrictEqual({
      TopicArn: topicArn,
      Subject: '[WARNING] resource-usage prod: 1 beyond their threshold',
      Message: [
        report.summary,
        'Window: 2026-12-04T09:00:00.000Z to 2026-12-04T10:00:00.000Z, against 2026-11-27T09:00:00.000Z to 2026-11-27T10:00:00.000Z.',
        '',
        figureLine(hot),
        '    https://console/app',
        figureLine(missing),
        '    https://console/bucket',
        '',
        `Execution: ${executionId}`,
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'breach' },
        severity: { DataType: 'String', StringValue: 'warning' },
      },
    });
    // The figure within its threshold is in the report, not in the notice
    expect(message?.Message).not.toContain('ecs-cluster');
    expect(notifyBreach.summarize?.(result)).toBe('breach notice sent (warning, 1 beyond their threshold)');
  });

  it('pages when the config says a breach pages', async () => {
    await invoke(notifyBreach, { ...base, report: { ...report, severity: 'page' } }, clients);
    expect(sent()[0]?.Subject).toBe('[PAGE] resource-usage prod: 1 beyond their threshold');
    expect(sent()[0]?.MessageAttributes?.severity?.StringValue).toBe('page');
  });

  it('refuses a report without a breach to announce (no severity)', async () => {
    await expect(
      invoke(notifyBreach, { ...base, report: { ...report, severity: null } }, clients),
    ).rejects.toThrow(/InvalidInput|severity/);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('shows hostile text harmlessly: no newline or ESC forges a line', async () => {
    const hostile: Figure = { ...hot, target: 'app\nOK all fine', follow: 'https://x/\u001b[2J' };
    await invoke(notifyBreach, { ...base, report: { ...report, figures: [hostile] } }, clients);
    const message = sent()[0]?.Message ?? '';
    expect(message).not.toContain('\u001b');
    expect(message.split('\n').filter((line) => line.startsWith('OK all fine'))).toEqual([]);
  });

  it('a refused publish fails the step with its AWS name, for the failure notice', async () => {
    snsMock.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 'not authorized'));
    await expect(invoke(notifyBreach, base, clients)).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
    });
  });
});
