// One poll of a DB instance after a restore or a rename: done once it is `available`. A terminal
// state (failed, incompatible-*, inaccessible-encryption-credentials, storage-full, restore-error)
// ends the wait at once with the error the caller names; so does a budget spent. An instance not
// found yet is polled again: right after a restore or a rename, RDS may not describe it at once
// (the pessimistic reading of its eventual consistency). The loop is in the state machine.
import { CutoverFailed, RestoreFailed, type RunbookErrorClass } from '../errors.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { describeInstance } from './describe-instance.ts';

/** States an instance does not leave by itself (RDS User Guide, "Viewing Amazon RDS DB instance status"). */
export const TERMINAL_STATES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-credentials',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'restore-error',
]);

const FAILURES: Record<string, RunbookErrorClass> = { RestoreFailed, CutoverFailed };

export const checkDbInstance = defineWorker({
  name: 'check-db-instance',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances'],
  input: PollSchema.extend({
    dbInstance: z.string().min(1),
    /** The error a terminal state or a spent budget ends with. */
    failWith: z.enum(['RestoreFailed', 'CutoverFailed']),
    /** When the poll runs ($$.State.EnteredTime), echoed as `at`: when it was seen available, for the figures. */
    now: z.string().min(1).nullable().default(null),
  }),
  run: async ({ dbInstance, failWith, attempt, maxAttempts, now }, { rds }) => {
    const Failure = FAILURES[failWith] ?? RestoreFailed;
    const instance = await describeInstance(rds, dbInstance);
    const status = instance?.DBInstanceStatus ?? 'not found';
    if (status === 'available')
      return {
        done: true,
        attempt: attempt + 1,
        status,
        endpoint: instance?.Endpoint?.Address ?? null,
        at: now,
      };
    if (TERMINAL_STATES.has(status))
      throw new Failure(`${dbInstance} is ${status}: RDS will not make it available`);
    if (attempt + 1 >= maxAttempts)
      throw new Failure(`${dbInstance} was still ${status} after ${maxAttempts} polls`);
    return { done: false, attempt: attempt + 1, status, endpoint: null, at: now };
  },
  summarize: (r) => `${r.status}`,
});

export const handler = lambdaHandler(checkDbInstance);
