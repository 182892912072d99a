// The retention policy of the pre-deploy snapshots: after a successful deployment, deletes this
// service's own old pre-deploy snapshots of the database (named pre-deploy-*, tagged by this
// runbook with its purpose, run and service, and available), so that a snapshot per deployment
// does not exhaust RDS's manual snapshot quota. Never deleted: the newest `keepNewest`; one
// younger than `minAgeDays`; one taken under the release now running, the one it replaced, or the
// one before that (the data a rollback to either needs); this run's own; and any snapshot another
// person, tool or service took. At most MAX_DELETIONS per run, so one invocation stays well inside
// its timeout; the rest waits for the next deployment. A deletion IAM refuses is skipped, counted.
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
    /** The service (its lock key) whose snapshots these are: services may share a database. */
    service: z.string().min(1),
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
  run: async ({ dbInstance, service, retention, protectedReleases, snapshotId, now }, { rds }) => {
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
      .filter(
        (s) =>
          (s.DBSnapshotIdentifier ?? '').startsWith(`${PRE_DEPLOY}-`) &&
          tagOf(s, SNAPSHOT_TAGS.purpose) === PRE_DEPLOY &&
          tagOf(s, SNAPSHOT_TAGS.execution) !== undefined &&
          tagOf(s, SNAPSHOT_TAGS.service) === service &&
          s.Status === 'available',
      )
      .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
    // Besides the releases given (the one running now, the one it replaced), the release before
    // those: the newest snapshot taken under another release was taken under it.
    const protectedTags = new Set(protectedReleases);
    const before = ours.find((s) => !protectedTags.has(tagOf(s, SNAPSHOT_TAGS.release) ?? ''));
    const beforeTag = before && tagOf(before, SNAPSHOT_TAGS.release);
    if (beforeTag) protectedTags.add(beforeTag);
    const oldest = Date.parse(now) - retention.minAgeDays * DAY_MS;
    const due = ours
      .slice(retention.keepNewest)
      .filter(
        (s) =>
          (s.SnapshotCreateTime?.getTime() ?? Number.POSITIVE_INFINITY) <= oldest &&
          !protectedTags.has(tagOf(s, SNAPSHOT_TAGS.release) ?? '') &&
          s.DBSnapshotIdentifier !== snapshotId,
      );

    // The oldest first: if the run stops at its cap, what is left is the more recent.
    const deleted: string[] = [];
    const skipped: string[] = [];
    const batch = due.reverse().slice(0, MAX_DELETIONS);
    for (const snapshot of batch) {
      const id = snapshot.DBSnapshotIdentifier ?? '';
      try {
        await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
        deleted.push(id);
      } catch (error) {
        const name = (error as Error).name;
        // Gone already (someone else pruned it), being copied or shared right now, or one IAM does
        // not let this runbook delete: not ours to force, and no reason to stop at it every time.
        if (
          name === 'DBSnapshotNotFoundFault' ||
          name === 'InvalidDBSnapshotStateFault' ||
          name === 'AccessDenied' ||
          name === 'AccessDeniedException'
        ) {
          skipped.push(`${id} (${name})`);
          continue;
        }
        rethrowAws(error, 'RDS DeleteDBSnapshot');
      }
    }
    return {
      deleted,
      skipped,
      kept: ours.length - deleted.length,
      left: due.length - batch.length,
    };
  },
  summarize: (r) =>
    (r.deleted.length === 0
      ? `nothing to prune, ${r.kept} pre-deploy snapshots kept`
      : `deleted ${r.deleted.length} old pre-deploy snapshots, ${r.kept} kept${r.left > 0 ? `, ${r.left} left for the next run` : ''}`) +
    (r.skipped.length > 0 ? `; skipped ${r.skipped.join(', ')}` : ''),
});

export const handler = lambdaHandler(pruneSnapshots);
