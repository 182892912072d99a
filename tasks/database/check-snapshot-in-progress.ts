// One poll of an instance's snapshots: done once none of them is being made. RDS takes one snapshot
// of an instance at a time (the instance is backing-up meanwhile, and CreateDBSnapshot is refused),
// so a backup waits for one already in progress (RDS's automated one, or a person's) instead of
// starting a second. The loop is in the state machine.
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { aws, SnapshotFailed } from '../errors.ts';
import { PollSchema } from '../schemas/poll.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

export const checkSnapshotInProgress = defineWorker({
  name: 'check-snapshot-in-progress',
  entry: import.meta.url,
  actions: ['rds:DescribeDBSnapshots'],
  input: PollSchema.extend({ dbInstance: z.string().min(1) }),
  run: async ({ dbInstance, attempt, maxAttempts }, { rds }) => {
    const inProgress: string[] = [];
    let marker: string | undefined;
    do {
      const page = await aws('RDS DescribeDBSnapshots', () =>
        rds.send(
          new DescribeDBSnapshotsCommand({
            DBInstanceIdentifier: dbInstance,
            MaxRecords: 100,
            ...(marker && { Marker: marker }),
          }),
        ),
      );
      for (const s of page.DBSnapshots ?? [])
        if (s.Status === 'creating') inProgress.push(s.DBSnapshotIdentifier ?? '(unnamed)');
      marker = page.Marker;
    } while (marker);
    if (inProgress.length === 0) return { done: true, attempt: attempt + 1, inProgress };
    if (attempt + 1 >= maxAttempts)
      throw new SnapshotFailed(
        `${dbInstance} was still being snapshotted (${inProgress.join(', ')}) after ${maxAttempts} polls; nothing was changed`,
      );
    return { done: false, attempt: attempt + 1, inProgress };
  },
  summarize: (r) =>
    r.inProgress.length === 0 ? 'no snapshot in progress' : `waiting for ${r.inProgress.join(', ')}`,
});

export const handler = lambdaHandler(checkSnapshotInProgress);
