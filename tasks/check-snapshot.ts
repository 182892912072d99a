// One poll of the pre-change snapshot: available, still creating, or failed. The loop is in the state machine.
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { aws, SnapshotFailed } from './errors.ts';
import { PollSchema } from './schemas/poll.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

export const checkSnapshot = defineWorker({
  name: 'check-snapshot',
  entry: import.meta.url,
  actions: ['rds:DescribeDBSnapshots'],
  input: PollSchema.extend({ snapshotId: z.string().min(1) }),
  run: async ({ snapshotId, attempt, maxAttempts }, { rds }) => {
    const found = await aws('RDS DescribeDBSnapshots', () =>
      rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId })),
    ).catch((error: Error) => {
      // Deleted while it was being made (by hand, or by someone's retention job): no backup to rely on.
      if (error.name === 'DBSnapshotNotFoundFault')
        throw new SnapshotFailed(
          `snapshot ${snapshotId} no longer exists: it was deleted before it was available`,
        );
      throw error;
    });
    const snapshot = found.DBSnapshots?.[0];
    const status = snapshot?.Status ?? 'missing';
    if (status === 'available')
      return {
        done: true,
        attempt: attempt + 1,
        status,
        progress: 100,
        arn: snapshot?.DBSnapshotArn ?? null,
      };
    if (status !== 'creating') throw new SnapshotFailed(`snapshot ${snapshotId} is ${status}`);
    if (attempt + 1 >= maxAttempts) {
      throw new SnapshotFailed(
        `snapshot ${snapshotId} was still ${status} (${snapshot?.PercentProgress ?? 0}%) after ${maxAttempts} polls`,
      );
    }
    return {
      done: false,
      attempt: attempt + 1,
      status,
      progress: snapshot?.PercentProgress ?? 0,
      arn: snapshot?.DBSnapshotArn ?? null,
    };
  },
  summarize: (r) => `${r.status} ${r.progress}%`,
});

export const handler = lambdaHandler(checkSnapshot);
