// Takes the pre-change database snapshot. Safe to run twice: the id comes from the run, and an
// existing snapshot of the same instance under that id is this run's own. Its tags say it is this
// runbook's (the only snapshots prune-snapshots may delete), which run took it, and under which
// release: the database as that release left it.
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { aws, rethrowAws, SnapshotFailed } from './errors.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

/** The tags this runbook puts on its snapshots. */
export const SNAPSHOT_TAGS = {
  /** `pre-deploy`: taken by a deployment before its first change. */
  purpose: 'runbook:purpose',
  execution: 'runbook:execution',
  /** The service whose deployment took it (its lock key): services may share a database. */
  service: 'runbook:service',
  /** The release (task definition) the service ran when the snapshot was taken. */
  release: 'runbook:release',
} as const;
export const PRE_DEPLOY = 'pre-deploy';
/** Why this runbook took a snapshot (its runbook:purpose tag); only pre-deploy ones are ever pruned. */
export const SNAPSHOT_PURPOSES = [PRE_DEPLOY, 'backup', 'pre-maintenance'] as const;

const NOT_POSSIBLE = new Set([
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
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
    /** The release the service runs now, whose data the snapshot holds. */
    release: z.string().min(1).nullable().default(null),
    /** The service (its lock key) whose deployment takes it. */
    service: z.string().min(1).nullable().default(null),
    purpose: z.enum(SNAPSHOT_PURPOSES).default(PRE_DEPLOY),
  }),
  run: async ({ dbInstance, snapshotId, executionId, release, service, purpose }, { rds }) => {
    try {
      const created = await rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: dbInstance,
          DBSnapshotIdentifier: snapshotId,
          Tags: [
            { Key: SNAPSHOT_TAGS.execution, Value: executionId.slice(-256) },
            { Key: SNAPSHOT_TAGS.purpose, Value: purpose },
            ...(release ? [{ Key: SNAPSHOT_TAGS.release, Value: release.slice(-256) }] : []),
            ...(service ? [{ Key: SNAPSHOT_TAGS.service, Value: service.slice(-256) }] : []),
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
      if (name === 'SnapshotQuotaExceeded' || name === 'SnapshotQuotaExceededFault') {
        throw new SnapshotFailed(
          `cannot snapshot ${dbInstance}: the region's quota of manual DB snapshots is reached (${name}: ${(error as Error).message}); nothing was changed: delete manual snapshots no one needs, or raise the quota in Service Quotas, then run again`,
          { cause: error },
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
