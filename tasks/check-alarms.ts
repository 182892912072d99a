// One poll of the bake: any watched alarm in ALARM fails the bake; done once the bake period is over.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { AlarmDuringBake, aws } from './errors.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

export const checkAlarms = defineWorker({
  name: 'check-alarms',
  input: z.object({
    alarms: z.array(z.string()),
    attempt: z.number().int().min(0),
    bakeSeconds: z.number().int().min(0),
    intervalSeconds: z.number().int().min(1),
  }),
  run: async ({ alarms, attempt, bakeSeconds, intervalSeconds }, { cloudwatch }) => {
    const elapsedSeconds = attempt * intervalSeconds;
    if (alarms.length > 0) {
      const found = await aws('CloudWatch DescribeAlarms', () =>
        cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarms })),
      );
      const firing = (found.MetricAlarms ?? []).filter((a) => a.StateValue === 'ALARM');
      if (firing.length > 0) {
        const list = firing.map((a) => `${a.AlarmName} (${a.StateReason ?? 'no reason given'})`).join('; ');
        throw new AlarmDuringBake(
          `alarm in ALARM after ${Math.round(elapsedSeconds / 60)} of ${bakeSeconds / 60} bake minutes: ${list}`,
        );
      }
    }
    return { done: elapsedSeconds >= bakeSeconds, attempt: attempt + 1, elapsedSeconds };
  },
});

export const handler = lambdaHandler(checkAlarms);
