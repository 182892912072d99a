// The restore's source, resolved before anything is created: a named snapshot of the instance (it
// must be available), the newest available one (`latest`: automated or manual, every page read), or
// a point in time inside the instance's restorable window. The window is read pessimistically: from
// the oldest automated backup RDS still keeps to the instance's LatestRestorableTime; an instance
// with no automated backup has none. Reads only.
import {
  type DBSnapshot,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { aws, RestoreWindowExceeded, SnapshotNotFound } from '../errors.ts';
import { RestoreSourceSchema } from '../schemas/restore-source.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';

/** Every snapshot of the instance (of one type, if given), following Marker. */
async function snapshotsOf(rds: RDSClient, dbInstance: string, type?: 'automated'): Promise<DBSnapshot[]> {
  const all: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await aws('RDS DescribeDBSnapshots', () =>
      rds.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: dbInstance,
          ...(type && { SnapshotType: type }),
          MaxRecords: 100,
          ...(marker && { Marker: marker }),
        }),
      ),
    );
    all.push(...(page.DBSnapshots ?? []));
    marker = page.Marker;
  } while (marker);
  return all;
}

const time = (d: Date | undefined) => (d ? new Date(d).getTime() : Number.NaN);
const iso = (ms: number) => new Date(ms).toISOString();

async function fromSnapshot(rds: RDSClient, dbInstance: string, wanted: string) {
  if (wanted === 'latest') {
    const newest = (await snapshotsOf(rds, dbInstance))
      .filter((s) => s.Status === 'available' && !Number.isNaN(time(s.SnapshotCreateTime)))
      .sort((a, b) => time(b.SnapshotCreateTime) - time(a.SnapshotCreateTime))[0];
    if (!newest?.DBSnapshotIdentifier)
      throw new SnapshotNotFound(`${dbInstance} has no available snapshot to restore; nothing was created`);
    return newest;
  }
  const found = await aws('RDS DescribeDBSnapshots', () =>
    rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: wanted })),
  ).catch((error: Error) => {
    if (error.name === 'DBSnapshotNotFoundFault')
      throw new SnapshotNotFound(`snapshot ${wanted} does not exist; nothing was created`);
    throw error;
  });
  const snapshot = found.DBSnapshots?.[0];
  if (!snapshot) throw new SnapshotNotFound(`snapshot ${wanted} does not exist; nothing was created`);
  if (snapshot.DBInstanceIdentifier?.toLowerCase() !== dbInstance)
    throw new SnapshotNotFound(
      `snapshot ${wanted} is of ${snapshot.DBInstanceIdentifier ?? 'another instance'}, not of ${dbInstance}; nothing was created`,
    );
  if (snapshot.Status !== 'available')
    throw new SnapshotNotFound(
      `snapshot ${wanted} is ${snapshot.Status ?? 'in an unknown state'}; only an available snapshot can be restored; nothing was created`,
    );
  return snapshot;
}

export const resolveRestoreSource = defineWorker({
  name: 'resolve-restore-source',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots'],
  input: z.object({ dbInstance: z.string().min(1), source: RestoreSourceSchema }),
  run: async ({ dbInstance, source }, { rds }) => {
    if ('snapshot' in source) {
      const snapshot = await fromSnapshot(rds, dbInstance, source.snapshot);
      return {
        kind: 'snapshot' as const,
        snapshotId: snapshot.DBSnapshotIdentifier ?? source.snapshot,
        snapshotType: snapshot.SnapshotType ?? null,
        restoreTime: null,
        useLatestRestorableTime: false,
        /** What the restored data is as of: the snapshot's creation. */
        restorePoint: iso(time(snapshot.SnapshotCreateTime)),
      };
    }
    const described = await aws('RDS DescribeDBInstances', () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbInstance })),
    );
    const latest = time(described.DBInstances?.[0]?.LatestRestorableTime);
    const backups = (await snapshotsOf(rds, dbInstance, 'automated')).filter((s) => s.Status === 'available');
    const earliest = Math.min(...backups.map((s) => time(s.SnapshotCreateTime)));
    if (backups.length === 0 || Number.isNaN(latest) || Number.isNaN(earliest))
      throw new RestoreWindowExceeded(
        `${dbInstance} has no restorable window (no automated backup, or no latest restorable time); nothing was created`,
      );
    const window = `${iso(earliest)} to ${iso(latest)}`;
    if (source.pointInTime === 'latest-restorable')
      return {
        kind: 'pointInTime' as const,
        snapshotId: null,
        snapshotType: null,
        restoreTime: null,
        useLatestRestorableTime: true,
        // At least this recent: RDS restores to its latest restorable time when the restore starts.
        restorePoint: iso(latest),
      };
    const at = Date.parse(source.pointInTime);
    if (at < earliest || at > latest)
      throw new RestoreWindowExceeded(
        `${source.pointInTime} is outside ${dbInstance}'s restorable window (${window}); nothing was created`,
      );
    return {
      kind: 'pointInTime' as const,
      snapshotId: null,
      snapshotType: null,
      restoreTime: iso(at),
      useLatestRestorableTime: false,
      restorePoint: iso(at),
    };
  },
  summarize: (r) =>
    r.kind === 'snapshot'
      ? `snapshot ${r.snapshotId} (${r.snapshotType ?? 'unknown type'}), as of ${r.restorePoint}`
      : `${r.useLatestRestorableTime ? 'the latest restorable time' : 'point in time'}, as of ${r.restorePoint}`,
});

export const handler = lambdaHandler(resolveRestoreSource);
