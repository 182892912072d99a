import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { alarmStates } from '../../tasks/alarms.ts';
import { testClients, throttled } from './support.ts';

const cloudwatchMock = mockClient(CloudWatchClient);
const { cloudwatch } = testClients();

describe('alarmStates', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('asks for metric and composite alarms alike, and reads every page', async () => {
    // Given two pages, a composite alarm on the second
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK', StateReason: 'fine' }],
        NextToken: 'p2',
      })
      .resolves({ CompositeAlarms: [{ AlarmName: 'app-health', StateValue: 'ALARM' }] });

    // When
    const states = await alarmStates(cloudwatch, ['app-5xx', 'app-health']);

    // Then
    expect(states).toEqual([
      { name: 'app-5xx', state: 'OK', reason: 'fine' },
      { name: 'app-health', state: 'ALARM', reason: '' },
    ]);
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 1, {
      AlarmNames: ['app-5xx', 'app-health'],
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      MaxRecords: 100,
    });
    expect(cloudwatchMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).not.toHaveProperty(
      'NextToken',
    );
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { NextToken: 'p2' });
  });

  it('reads an alarm without a state as INSUFFICIENT_DATA', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a' }] });
    expect(await alarmStates(cloudwatch, ['a'])).toEqual([
      { name: 'a', state: 'INSUFFICIENT_DATA', reason: '' },
    ]);
  });

  it('does not follow pages without end', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], NextToken: 'again' });
    await expect(alarmStates(cloudwatch, ['a'])).rejects.toThrow(
      'CloudWatch DescribeAlarms kept answering with more pages after 100',
    );
    expect(cloudwatchMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 100);
  });

  it('surfaces throttling as TransientAwsError', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).rejects(throttled());
    await expect(alarmStates(cloudwatch, ['a'])).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
