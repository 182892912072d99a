import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkAlarms } from '../../../tasks/production-deployment/check-alarms.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const cloudwatchMock = mockClient(CloudWatchClient);
const clients = testClients();

const alarms = ['app-5xx', 'app-latency'];
const quiet = alarms.map((AlarmName) => ({ AlarmName, StateValue: 'OK' as const }));
const poll = { alarms, attempt: 0, maxAttempts: 121, bakeSeconds: 1800, intervalSeconds: 60 };

describe('check-alarms', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('keeps baking while the watched alarms are quiet, counting the elapsed time', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'app-5xx', StateValue: 'OK' },
        { AlarmName: 'app-latency', StateValue: 'INSUFFICIENT_DATA' },
      ],
    });

    // When
    const result = await invoke(checkAlarms, { ...poll, attempt: 10 }, clients);

    // Then
    expect(result).toEqual({ done: false, attempt: 11, elapsedSeconds: 600 });
    expect(cloudwatchMock).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: alarms,
    });
  });

  it('fails the bake on a composite alarm in ALARM, which DescribeAlarms returns apart', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK' }],
      CompositeAlarms: [{ AlarmName: 'app-latency', StateValue: 'ALARM', StateReason: 'children in ALARM' }],
    });
    await expect(invoke(checkAlarms, { ...poll, attempt: 3 }, clients)).rejects.toMatchObject({
      name: 'AlarmDuringBake',
      message: expect.stringContaining('app-latency (children in ALARM)'),
    });
  });

  it('is done once the bake period is over and no alarm fired', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: quiet });

    // When
    const result = await invoke(checkAlarms, { ...poll, attempt: 30 }, clients);

    // Then
    expect(result).toEqual({ done: true, attempt: 31, elapsedSeconds: 1800 });
  });

  it('still checks the alarms on the poll that ends the bake', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }],
    });

    // When
    const checked = invoke(checkAlarms, { ...poll, attempt: 30 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({ name: 'AlarmDuringBake' });
  });

  it('is done at once with a bake of zero', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: quiet });

    // When
    const result = await invoke(checkAlarms, { ...poll, bakeSeconds: 0 }, clients);

    // Then
    expect(result).toEqual({ done: true, attempt: 1, elapsedSeconds: 0 });
  });

  it('is done when the poll budget is spent, even before the bake period is over', async () => {
    // Given the last round the budget allows, 20 minutes into a 30-minute bake
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: quiet });

    // When
    const result = await invoke(checkAlarms, { ...poll, attempt: 20, maxAttempts: 21 }, clients);

    // Then
    expect(result).toEqual({ done: true, attempt: 21, elapsedSeconds: 1200 });
  });

  it('does not call CloudWatch when no alarms are watched', async () => {
    // Given
    const unwatched = { ...poll, alarms: [], attempt: 5 };

    // When
    const result = await invoke(checkAlarms, unwatched, clients);

    // Then
    expect(result).toEqual({ done: false, attempt: 6, elapsedSeconds: 300 });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('throws AlarmDuringBake naming each alarm in ALARM with its reason and the bake progress', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'app-5xx',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
        },
        { AlarmName: 'app-latency', StateValue: 'ALARM' },
        { AlarmName: 'app-cpu', StateValue: 'OK' },
      ],
    });

    // When
    const checked = invoke(checkAlarms, { ...poll, attempt: 7 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'AlarmDuringBake',
      message:
        'alarm in ALARM after 7 of 30 bake minutes: ' +
        'app-5xx (Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).); ' +
        'app-latency (no reason given)',
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).rejects(throttled());

    // When
    const checked = invoke(checkAlarms, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'CloudWatch DescribeAlarms: ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    cloudwatchMock.on(DescribeAlarmsCommand).rejects(awsError('InvalidNextToken', 'bad token'));

    // When
    const checked = invoke(checkAlarms, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({ name: 'InvalidNextToken', message: 'bad token' });
  });

  it.each([
    ['intervalSeconds', { ...poll, intervalSeconds: 0 }],
    ['bakeSeconds', { ...poll, bakeSeconds: -60 }],
    ['alarms', { ...poll, alarms: 'app-5xx' }],
  ])(
    'rejects an invalid %s as InvalidInput naming the field, without calling CloudWatch',
    async (field, invalid) => {
      // Given
      const event = invalid;

      // When
      const checked = invoke(checkAlarms, event, clients);

      // Then
      await expect(checked).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`check-alarms: ${field}: `),
      });
      expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('fails the bake when a watched alarm no longer exists', async () => {
    // Given app-latency was deleted during the bake
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK' }] });

    // When
    const checked = invoke(checkAlarms, { ...poll, attempt: 3 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'AlarmDuringBake',
      message: expect.stringContaining('no longer exist'),
    });
  });
});
