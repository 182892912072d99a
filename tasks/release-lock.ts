// Releases the target's lock (and its `also` keys) where this run still owns it. Safe to run twice;
// never releases another run's lock.
import { deleteOwnedLock } from './lock-items.ts';
import { LockSchema } from './schemas/lock.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

export const releaseLock = defineWorker({
  name: 'release-lock',
  entry: import.meta.url,
  actions: ['dynamodb:DeleteItem'],
  input: z.object({ table: z.string().min(1), lock: LockSchema }),
  run: async ({ table, lock }, { dynamodb }) => {
    let released = false;
    for (const key of [lock.key, ...(lock.also ?? [])]) {
      const deleted = await deleteOwnedLock(dynamodb, table, key, lock.owner);
      if (key === lock.key) released = deleted;
    }
    return { released };
  },
  summarize: (r) => (r?.released ? 'released' : 'not held by this run'),
});

export const handler = lambdaHandler(releaseLock);
