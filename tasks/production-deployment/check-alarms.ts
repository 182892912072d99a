// One poll of the bake: any watched alarm in ALARM fails the bake; done once the bake period (or
// the loop's poll budget) is over.

import { alarmStates } from '../alarms.ts';
import { AlarmDuringBake } from '../errors.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const checkAlarms = defineWorker({
  name: 'check-alarms',
  entry: import.meta.url,
  actions: ['cloudwatch:DescribeAlarms'],
  input: PollSchema.extend({
    alarms: z.array(z.string()),
    bakeSeconds: z.number().int().min(0),
    intervalSeconds: z.number().int().min(1),
  }),
  run: async ({ alarms, attempt, maxAttempts, bakeSeconds, intervalSeconds }, { cloudwatch }) => {
    const elapsedSeconds = attempt * intervalSeconds;
    if (alarms.length > 0) {
      const found = await alarmStates(cloudwatch, alarms);
      // An alarm deleted mid-bake watches nothing: that is not a quiet bake.
      const missing = alarms.filter((name) => !found.some((a) => a.name === name));
      if (missing.length > 0) {
        throw new AlarmDuringBake(
          `watched alarms no longer exist, so the bake cannot vouch for the release: ${missing.join(', ')}`,
        );
      }
      const firing = found.filter((a) => a.state === 'ALARM');
      if (firing.length > 0) {
        const list = firing.map((a) => `${a.name} (${a.reason || 'no reason given'})`).join('; ');
        throw new AlarmDuringBake(
          `alarm in ALARM after ${Math.round(elapsedSeconds / 60)} of ${bakeSeconds / 60} bake minutes: ${list}`,
        );
      }
    }
    // The bake's budget is the bake: once it is spent the bake is over, even if the clock says otherwise.
    return {
      done: elapsedSeconds >= bakeSeconds || attempt + 1 >= maxAttempts,
      attempt: attempt + 1,
      elapsedSeconds,
    };
  },
  summarize: () => 'watched alarms quiet',
});

export const handler = lambdaHandler(checkAlarms);
