// The states of watched alarms, metric and composite alike. DescribeAlarms returns only metric alarms
// unless asked for both types, and answers in pages: every page is read, a bounded number of them.
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { aws } from './errors.ts';
import { MAX_ALARM_NAMES } from './schemas/catalogue.ts';

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/** More pages than 100 names can fill is an answer the worker does not trust. */
const MAX_PAGES = MAX_ALARM_NAMES;

export async function alarmStates(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<AlarmState[]> {
  const found: AlarmState[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const next = token;
    const answer = await aws('CloudWatch DescribeAlarms', () =>
      cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: [...names],
          AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
          MaxRecords: MAX_ALARM_NAMES,
          ...(next && { NextToken: next }),
        }),
      ),
    );
    for (const a of [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])])
      found.push({
        name: a.AlarmName ?? '',
        state: a.StateValue ?? 'INSUFFICIENT_DATA',
        reason: a.StateReason ?? '',
      });
    token = answer.NextToken;
    if (!token) return found;
  }
  throw new Error(`CloudWatch DescribeAlarms kept answering with more pages after ${MAX_PAGES}`);
}
