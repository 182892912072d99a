import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notifyDrift } from '../../../tasks/configure-autoscaling/notify-drift.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const snsMock = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-notifications';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:runbook-configure-autoscaling:nightly';
const report = {
  current: { target: { min: 3, max: 10 }, suspended: false, policy: null },
  desiredCount: 3,
  differences: [
    { what: 'minimum capacity', before: '3', after: '2' },
    {
      what: 'target-tracking policy runbook-target-tracking',
      before: 'none',
      after: 'average CPU at 70 %',
    },
  ],
  inSync: false,
  otherPolicies: [],
  summary: "app-service's auto scaling differs from the config in 2 ways.",
  severity: 'warning' as const,
};

describe('notify-drift', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('announces each difference before -> after, and how to make it as the config says', async () => {
    const result = await invoke(
      notifyDrift,
      { topicArn, procedure: 'configure-autoscaling', executionId, report },
      testClients(),
    );
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toStrictEqual({
      TopicArn: topicArn,
      Subject: '[WARNING] configure-autoscaling: 2 differences from the config',
      Message: [
        report.summary,
        '',
        'minimum capacity: 3 -> 2',
        'target-tracking policy runbook-target-tracking: none -> average CPU at 70 %',
        '',
        'To make it as the config says, run configure-autoscaling again without "check".',
        `Execution: ${executionId}`,
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'drift' },
        severity: { DataType: 'String', StringValue: 'warning' },
      },
    });
    expect(notifyDrift.summarize?.(result)).toBe('drift notice sent (warning, 2 differences)');
  });

  it('refuses a report in sync (no severity): nothing to announce', async () => {
    await expect(
      invoke(
        notifyDrift,
        { topicArn, procedure: 'configure-autoscaling', executionId, report: { ...report, severity: null } },
        testClients(),
      ),
    ).rejects.toThrow(/severity/);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });
});
