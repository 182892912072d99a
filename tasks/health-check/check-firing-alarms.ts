// The runbook's check 6: no CloudWatch alarm of the environment (metric or composite; every alarm of
// the account unless the config gives the environment's name prefix) is in ALARM.
import { type CompositeAlarm, type MetricAlarm, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { consoleUrl } from '../console.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { HealthRequestSchema } from './input.ts';

export const checkFiringAlarms = defineWorker({
  name: 'check-firing-alarms',
  entry: import.meta.url,
  actions: ['cloudwatch:DescribeAlarms'],
  everyResource: ['cloudwatch:DescribeAlarms'],
  input: z.object({ request: HealthRequestSchema }),
  run: async ({ request }, { cloudwatch }): Promise<CheckResult> => {
    const { region, alarmNamePrefix } = request;
    const which = alarmNamePrefix ? `alarms named ${alarmNamePrefix}*` : `every alarm of ${region}`;
    const firing = await allPages(
      'CloudWatch DescribeAlarms',
      paginateDescribeAlarms(
        { client: cloudwatch, pageSize: 100 },
        {
          StateValue: 'ALARM',
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          ...(alarmNamePrefix && { AlarmNamePrefix: alarmNamePrefix }),
        },
      ),
      (page): (MetricAlarm | CompositeAlarm)[] => [
        ...(page.MetricAlarms ?? []),
        ...(page.CompositeAlarms ?? []),
      ],
    );
    const findings: Finding[] = firing.items.map((alarm) => ({
      check: 'alarms',
      target: alarm.AlarmName ?? '?',
      expected: 'not in ALARM',
      actual: `ALARM since ${alarm.StateUpdatedTimestamp?.toISOString() ?? 'unknown'}: ${shown(alarm.StateReason)}`,
      verdict: 'fail',
      follow: consoleUrl(
        region,
        `cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName ?? '')}`,
      ),
    }));
    if (findings.length === 0)
      findings.push({
        check: 'alarms',
        target: which,
        expected: 'none in ALARM',
        actual: 'none in ALARM',
        verdict: 'pass',
      });
    if (firing.truncated)
      findings.push({
        check: 'alarms',
        target: which,
        expected: 'every alarm in ALARM read',
        actual: 'more alarms in ALARM than one check reads; only the first are listed',
        verdict: 'fail',
      });
    return checkResult('alarms', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkFiringAlarms);
