// The simulated CloudWatch answers DescribeAlarms as CloudWatch does: composite alarms only when asked
// for, in pages, and no more than 100 names.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';

const cloudwatchOf = (composite: boolean) =>
  new SimulatedAccount({
    config: loadConfig(),
    faults: { cloudwatch: { firstAlarmComposite: composite } },
    table: 'runbook-state',
  }).service('cloudwatch');

describe('the simulated CloudWatch', () => {
  it('returns a composite alarm only to a call that asks for composite alarms', () => {
    const cloudwatch = cloudwatchOf(true);
    const [first = ''] = [...cloudwatch.alarms.keys()];
    expect(cloudwatch.describeAlarms({ AlarmNames: [first] })).toEqual({
      MetricAlarms: [],
      CompositeAlarms: [],
    });
    expect(
      cloudwatch.describeAlarms({ AlarmNames: [first], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] })
        .CompositeAlarms,
    ).toEqual([expect.objectContaining({ AlarmName: first, StateValue: 'OK' })]);
  });

  it('answers in pages, the rest behind NextToken', () => {
    const cloudwatch = cloudwatchOf(false);
    const names = [...cloudwatch.alarms.keys()];
    expect(names.length).toBeGreaterThan(2);
    const first = cloudwatch.describeAlarms({ AlarmNames: names, MaxRecords: 100 });
    expect(first.MetricAlarms).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const rest = cloudwatch.describeAlarms({
      AlarmNames: names,
      MaxRecords: 100,
      NextToken: first.NextToken,
    });
    expect([...first.MetricAlarms, ...rest.MetricAlarms].map((a) => a.AlarmName).slice(0, 3)).toEqual(
      names.slice(0, 3),
    );
  });

  it('refuses more than 100 names', () => {
    expect(() =>
      cloudwatchOf(false).describeAlarms({ AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`) }),
    ).toThrow(expect.objectContaining({ name: 'ValidationError' }));
  });
});
