// The retention policy of the pre-deploy snapshots: after a successful deployment, deletes this
// runbook's own old snapshots of the database (tagged runbook:purpose=pre-deploy, and available),
// so that a snapshot per deployment does not exhaust RDS's manual snapshot quota. Never deleted:
// the newest `keepNewest`, one younger than `minAgeDays`, one taken under a release that is
// protected (the service's current and previous ones: the data a rollback of either needs), this
// run's own, and any snapshot another person or tool took. At most MAX_DELETIONS per run, so one
// invocation stays well inside its timeout; the rest waits for the next deployment.
import { type DBSnapshot, DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { PRE_DEPLOY, SNAPSHOT_TAGS } from './create-snapshot.ts';
import { aws, rethrowAws } from './errors.ts';
import { defineWorker, lambdaHandler } from './worker.ts';
import * as z from './zod.ts';

/** Deletions one run makes at most (each DeleteDBSnapshot is one call, well under a second). */
export const MAX_DELETIONS = 20;

const DAY_MS = 86_400_000;

const tagOf = (snapshot: DBSnapshot, key: string) => snapshot.TagList?.find((t) => t.Key === key)?.Value;

export const pruneSnapshots = defineWorker({
  name: 'prune-snapshots',
  entry: import.meta.url,
  actions: ['rds:DescribeDBSnapshots', 'rds:DeleteDBSnapshot'],
  input: z.object({
    dbInstance: z.string().min(1),
    retention: z.object({
      keepNewest: z.number().int().min(1),
      minAgeDays: z.number().int().min(1),
    }),
    /** Releases whose snapshots are kept whatever their age: the service's current and previous ones. */
    protectedReleases: z.array(z.string().min(1)),
    /** This run's own snapshot. */
    snapshotId: z.string().min(1),
    now: z.iso.datetime(),
  }),
  run: async ({ dbInstance, retention, protectedReleases, snapshotId, now }, { rds }) => {
    const all: DBSnapshot[] = [];
    let marker: string | undefined;
    do {
      const from = marker;
      const page = await aws('RDS DescribeDBSnapshots', () =>
        rds.send(
          new DescribeDBSnapshotsCommand({
            DBInstanceIdentifier: dbInstance,
            SnapshotType: 'manual',
            MaxRecords: 100,
            ...(from && { Marker: from }),
          }),
        ),
      );
      all.push(...(page.DBSnapshots ?? []));
      marker = page.Marker;
    } while (marker);

    const ours = all
      .filter((s) => tagOf(s, SNAPSHOT_TAGS.purpose) === PRE_DEPLOY && s.Status === 'available')
      .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
    const oldest = Date.parse(now) - retention.minAgeDays * DAY_MS;
    const due = ours
      .slice(retention.keepNewest)
      .filter(
        (s) =>
          (s.SnapshotCreateTime?.getTime() ?? Number.POSITIVE_INFINITY) <= oldest &&
          !protectedReleases.includes(tagOf(s, SNAPSHOT_TAGS.release) ?? '') &&
          s.DBSnapshotIdentifier !== snapshotId,
      );

    // The oldest first: if the run stops at its cap, what is left is the more recent.
    const deleted: string[] = [];
    for (const snapshot of due.reverse().slice(0, MAX_DELETIONS)) {
      const id = snapshot.DBSnapshotIdentifier ?? '';
      try {
        await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
        deleted.push(id);
      } catch (error) {
        const name = (error as Error).name;
        // Gone already (someone else pruned it), or being copied or shared right now: not ours to force.
        if (name === 'DBSnapshotNotFoundFault' || name === 'InvalidDBSnapshotStateFault') continue;
        rethrowAws(error, 'RDS DeleteDBSnapshot');
      }
    }
    return {
      deleted,
      kept: ours.length - deleted.length,
      left: Math.max(0, due.length - MAX_DELETIONS),
    };
  },
  summarize: (r) =>
    r.deleted.length === 0
      ? `nothing to prune, ${r.kept} pre-deploy snapshots kept`
      : `deleted ${r.deleted.length} old pre-deploy snapshots, ${r.kept} kept${r.left > 0 ? `, ${r.left} left for the next run` : ''}`,
});

export const handler = lambdaHandler(pruneSnapshots);
