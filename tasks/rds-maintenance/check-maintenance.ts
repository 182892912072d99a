// One poll of an instance through its maintenance change: done once it is `available` on the
// version and class asked for, with nothing pending: that is the verification. While RDS holds the
// change or applies it (`modifying`, `upgrading`, `rebooting`, ...), it is polled again. It fails with MaintenanceFailed
// on a state RDS does not leave by itself; on `available` again without the change, nothing
// pending, after it was seen under way (RDS gave it up, as after a failed pre-upgrade check: a
// waiter that reads only the status would call that done); and when its budget is spent. Before it
// was seen under way, an instance that shows neither the change nor anything pending is polled
// again: right after ModifyDBInstance, RDS may not describe the change yet (the pessimistic reading
// of its eventual consistency). The loop is in the state machine.
import { TERMINAL_STATES } from '../database/check-db-instance.ts';
import { describeInstance } from '../database/describe-instance.ts';
import { MaintenanceFailed } from '../errors.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const checkMaintenance = defineWorker({
  name: 'check-maintenance',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances'],
  input: PollSchema.extend({
    dbInstance: z.string().min(1),
    /** What was asked for (null: not asked, so not checked: RDS's own minor upgrades may change it meanwhile). */
    to: z.object({
      engineVersion: z.string().min(1).nullable(),
      instanceClass: z.string().min(1).nullable(),
    }),
    /** Whether an earlier poll saw the change under way (the instance not available). */
    seenBusy: z.boolean().default(false),
    now: z.string().min(1).nullable().default(null),
  }),
  run: async ({ dbInstance, to, seenBusy, attempt, maxAttempts, now }, { rds }) => {
    const instance = await describeInstance(rds, dbInstance);
    if (!instance) throw new MaintenanceFailed(`${dbInstance} is not described by RDS any more`);
    const status = instance.DBInstanceStatus ?? 'unknown';
    const runs = {
      engineVersion: instance.EngineVersion ?? '?',
      instanceClass: instance.DBInstanceClass ?? '?',
    };
    const pending = instance.PendingModifiedValues ?? {};
    const held = pending.EngineVersion !== undefined || pending.DBInstanceClass !== undefined;
    const result = {
      attempt: attempt + 1,
      status,
      runs,
      seenBusy: seenBusy || status !== 'available',
      at: now,
    };
    const asked = [to.engineVersion, to.instanceClass && `class ${to.instanceClass}`]
      .filter(Boolean)
      .join(' on ');
    if (TERMINAL_STATES.has(status))
      throw new MaintenanceFailed(
        `${dbInstance} is ${status} (running ${runs.engineVersion} on ${runs.instanceClass}, ${asked} asked): RDS will not make it available`,
      );
    const changed =
      (to.engineVersion === null || runs.engineVersion === to.engineVersion) &&
      (to.instanceClass === null || runs.instanceClass === to.instanceClass);
    if (status === 'available' && changed && !held) return { ...result, done: true };
    if (status === 'available' && !changed && !held && seenBusy)
      throw new MaintenanceFailed(
        `${dbInstance} is available again on ${runs.engineVersion} on ${runs.instanceClass} with nothing pending, after the change was under way: RDS did not apply ${asked}`,
      );
    if (attempt + 1 >= maxAttempts)
      throw new MaintenanceFailed(
        `${dbInstance} was still ${status}${held ? ' with a change pending (RDS may still apply it later, with nobody watching)' : ''} (running ${runs.engineVersion} on ${runs.instanceClass}, ${asked} asked) after ${maxAttempts} polls`,
      );
    return { ...result, done: false };
  },
  summarize: (r) => `${r.status}, ${r.runs.engineVersion} on ${r.runs.instanceClass}`,
});

export const handler = lambdaHandler(checkMaintenance);
