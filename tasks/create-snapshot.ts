// Takes the pre-change database snapshot. Safe to run twice: the id comes from the run, and an
// existing snapshot of the same instance under that id is this run's own.
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { aws, rethrowAws, SnapshotFailed } from './errors.ts';
import { defineWorker, lambdaHandler } from './worker.ts';

const NOT_POSSIBLE = new Set([
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
  'SnapshotQuotaExceeded',
  'SnapshotQuotaExceededFault',
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
]);

export const createSnapshot = defineWorker({
  name: 'create-snapshot',
  entry: import.meta.url,
  actions: ['rds:CreateDBSnapshot', 'rds:AddTagsToResource', 'rds:DescribeDBSnapshots'],
  input: z.object({
    dbInstance: z.string().min(1),
    snapshotId: z.string().min(1),
    executionId: z.string().min(1),
  }),
  run: async ({ dbInstance, snapshotId, executionId }, { rds }) => {
    try {
      const created = await rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: dbInstance,
          DBSnapshotIdentifier: snapshotId,
          Tags: [
            { Key: 'runbook:execution', Value: executionId.slice(-256) },
            { Key: 'runbook:purpose', Value: 'pre-deploy' },
          ],
        }),
      );
      return { snapshotId, status: created.DBSnapshot?.Status ?? 'creating' };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'DBSnapshotAlreadyExists' || name === 'DBSnapshotAlreadyExistsFault') {
        const found = await aws('RDS DescribeDBSnapshots', () =>
          rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId })),
        );
        const existing = found.DBSnapshots?.[0];
        // RDS stores instance identifiers in lower case.
        if (existing?.DBInstanceIdentifier?.toLowerCase() === dbInstance.toLowerCase())
          return { snapshotId, status: existing.Status ?? 'creating' };
        throw new SnapshotFailed(
          `snapshot ${snapshotId} already exists for another instance (${existing?.DBInstanceIdentifier})`,
        );
      }
      if (NOT_POSSIBLE.has(name)) {
        throw new SnapshotFailed(`cannot snapshot ${dbInstance}: ${name}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      rethrowAws(error, 'RDS CreateDBSnapshot');
    }
  },
  summarize: (r) => `${r.snapshotId} ${r.status}`,
});

export const handler = lambdaHandler(createSnapshot);
