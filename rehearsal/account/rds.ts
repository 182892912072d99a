// Simulated RDS: the configured instances and their manual snapshots. A snapshot goes creating ->
// available (or failed, as the scenario says) over simulated time. The region keeps at most
// `snapshotQuota` manual snapshots (100 by default, as RDS's quota): CreateDBSnapshot beyond it is
// refused with SnapshotQuotaExceeded. DescribeDBSnapshots answers in pages (MaxRecords 20 to 100,
// Marker), with each snapshot's tags; DeleteDBSnapshot takes only an available snapshot.
import type { Config } from '../../infra/config.ts';
import { serviceLockKey } from '../../tasks/run-state.ts';
import { awsError } from './errors.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** A manual snapshot that exists when the rehearsal starts. */
export interface EarlierSnapshot {
  readonly id: string;
  readonly ageDays: number;
  /** Its tags (a pre-deploy snapshot of this runbook carries runbook:purpose=pre-deploy, ...). */
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

/** How a scenario makes RDS misbehave, and what it holds when the rehearsal starts. */
export interface RdsFaults {
  /**
   * Seconds a snapshot takes (240 without faults), whether it ends up failed, and whether someone
   * deletes it this many seconds after it was started (while it is still being created).
   */
  readonly snapshot?: {
    readonly seconds: number;
    readonly fails: boolean;
    readonly deletedAfterSeconds?: number;
  };
  /** The region's manual snapshot quota. @default 100 */
  readonly snapshotQuota?: number;
  /**
   * Manual snapshots of each configured database taken before the rehearsal, by this runbook or
   * anyone else; `service` is the config key of the database's service, and `release(n)` the ARN
   * of revision n of its task definition family.
   */
  readonly earlierSnapshots?: (db: {
    service: string;
    /** The service's lock key, as the runbook tags its snapshots with it. */
    lockKey: string;
    release: (revision: number) => string;
  }) => readonly EarlierSnapshot[];
}

interface SimSnapshot {
  id: string;
  instance: string;
  status: 'creating' | 'available' | 'failed';
  createdAt: number;
  readyAt: number;
  tags: { Key?: string; Value?: string }[];
}

/** RDS's default quota of manual DB snapshots per region. */
export const DEFAULT_SNAPSHOT_QUOTA = 100;

const DAY_MS = 86_400_000;

export class SimulatedRds implements SimulatedService {
  readonly name = 'rds';
  readonly instances = new Map<string, { id: string; status: string }>();
  readonly snapshots = new Map<string, SimSnapshot>();
  private readonly quota: number;

  readonly commands = {
    CreateDBSnapshot: this.createDBSnapshot.bind(this),
    DescribeDBSnapshots: this.describeDBSnapshots.bind(this),
    DeleteDBSnapshot: this.deleteDBSnapshot.bind(this),
  };

  readonly changes = {
    CreateDBSnapshot: (
      input: { DBInstanceIdentifier?: string },
      output: ReturnType<SimulatedRds['createDBSnapshot']>,
    ) => ({
      target: String(input.DBInstanceIdentifier),
      detail: `snapshot ${output.DBSnapshot.DBSnapshotIdentifier}`,
    }),
    DeleteDBSnapshot: (_input: unknown, output: ReturnType<SimulatedRds['deleteDBSnapshot']>) => ({
      target: output.DBSnapshot.DBInstanceIdentifier,
      detail: `deleted snapshot ${output.DBSnapshot.DBSnapshotIdentifier} (taken ${output.DBSnapshot.SnapshotCreateTime.toISOString()})`,
    }),
  };

  private readonly region: string;
  private readonly account: string;

  constructor(
    config: Config,
    private readonly faults: RdsFaults | undefined,
    private readonly now: () => number,
  ) {
    this.region = config.region;
    this.account = config.account;
    this.quota = faults?.snapshotQuota ?? DEFAULT_SNAPSHOT_QUOTA;
    for (const { environment, key, svc } of configuredServices(config)) {
      if (!svc.database) continue;
      const instance = svc.database.toLowerCase();
      this.instances.set(instance, { id: instance, status: 'available' });
      const family = `arn:aws:ecs:${config.region}:${config.account}:task-definition/${environment}-${key}`;
      const earlier =
        faults?.earlierSnapshots?.({
          service: key,
          lockKey: serviceLockKey(svc.cluster, svc.service),
          release: (n) => `${family}:${n}`,
        }) ?? [];
      for (const snapshot of earlier) {
        const createdAt = now() - snapshot.ageDays * DAY_MS;
        const id = snapshot.id.toLowerCase();
        this.snapshots.set(id, {
          id,
          instance,
          status: 'available',
          createdAt,
          readyAt: createdAt,
          tags: snapshot.tags.map((t) => ({ ...t })),
        });
      }
    }
  }

  tick(now: number): void {
    const deleted = this.faults?.snapshot?.deletedAfterSeconds;
    for (const snapshot of this.snapshots.values()) {
      if (
        deleted !== undefined &&
        snapshot.status === 'creating' &&
        snapshot.createdAt + deleted * 1000 <= now
      ) {
        this.snapshots.delete(snapshot.id);
        continue;
      }
      if (snapshot.status === 'creating' && snapshot.readyAt <= now) {
        snapshot.status = this.faults?.snapshot?.fails ? 'failed' : 'available';
      }
    }
  }

  createDBSnapshot(input: {
    DBInstanceIdentifier?: string;
    DBSnapshotIdentifier?: string;
    Tags?: { Key?: string; Value?: string }[];
  }) {
    const instance = this.instances.get((input.DBInstanceIdentifier ?? '').toLowerCase());
    if (!instance)
      throw awsError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`);
    if (instance.status !== 'available' && instance.status !== 'storage-optimization') {
      throw awsError('InvalidDBInstanceStateFault', `Instance ${instance.id} is not in available state.`);
    }
    const id = (input.DBSnapshotIdentifier ?? '').toLowerCase();
    if (this.snapshots.has(id))
      throw awsError(
        'DBSnapshotAlreadyExistsFault',
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    if (this.snapshots.size >= this.quota)
      throw awsError('SnapshotQuotaExceededFault', `Cannot create more than ${this.quota} manual snapshots`);
    const seconds = this.faults?.snapshot?.seconds ?? 240;
    const snapshot: SimSnapshot = {
      id,
      instance: instance.id,
      status: 'creating',
      createdAt: this.now(),
      readyAt: this.now() + seconds * 1000,
      tags: input.Tags ?? [],
    };
    this.snapshots.set(id, snapshot);
    return { DBSnapshot: this.describe(snapshot) };
  }

  describeDBSnapshots(input: {
    DBSnapshotIdentifier?: string;
    DBInstanceIdentifier?: string;
    SnapshotType?: string;
    MaxRecords?: number;
    Marker?: string;
  }) {
    if (input.DBSnapshotIdentifier) {
      const snapshot = this.snapshots.get(input.DBSnapshotIdentifier.toLowerCase());
      if (!snapshot)
        throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
      return { DBSnapshots: [this.describe(snapshot)] };
    }
    const max = input.MaxRecords ?? 100;
    if (max < 20 || max > 100)
      throw awsError('InvalidParameterValue', 'MaxRecords must be between 20 and 100.');
    // Every snapshot here is manual: asked for automated ones, there are none.
    const all =
      input.SnapshotType && input.SnapshotType !== 'manual'
        ? []
        : [...this.snapshots.values()].filter(
            (s) => !input.DBInstanceIdentifier || s.instance === input.DBInstanceIdentifier.toLowerCase(),
          );
    const start = input.Marker ? Number(input.Marker) : 0;
    const page = all.slice(start, start + max);
    return {
      DBSnapshots: page.map((s) => this.describe(s)),
      ...(start + max < all.length && { Marker: String(start + max) }),
    };
  }

  deleteDBSnapshot(input: { DBSnapshotIdentifier?: string }) {
    const snapshot = this.snapshots.get((input.DBSnapshotIdentifier ?? '').toLowerCase());
    if (!snapshot)
      throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
    if (snapshot.status !== 'available' && snapshot.status !== 'failed')
      throw awsError(
        'InvalidDBSnapshotStateFault',
        `Cannot delete the snapshot because it is not in available or failed state (${snapshot.status}).`,
      );
    this.snapshots.delete(snapshot.id);
    return { DBSnapshot: { ...this.describe(snapshot), Status: 'deleted' } };
  }

  /** The tags of a snapshot, as IAM reads them for a tag condition; none for one that does not exist. */
  tagsOf(snapshotId: string): Readonly<Record<string, string>> {
    const snapshot = this.snapshots.get(snapshotId.toLowerCase());
    return Object.fromEntries((snapshot?.tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  private describe(s: SimSnapshot) {
    const total = s.readyAt - s.createdAt;
    const progress =
      s.status === 'available'
        ? 100
        : Math.min(99, Math.floor(((this.now() - s.createdAt) / Math.max(1, total)) * 100));
    return {
      DBSnapshotIdentifier: s.id,
      DBInstanceIdentifier: s.instance,
      DBSnapshotArn: `arn:aws:rds:${this.region}:${this.account}:snapshot:${s.id}`,
      Status: s.status,
      SnapshotType: 'manual',
      PercentProgress: progress,
      SnapshotCreateTime: new Date(s.createdAt),
      TagList: s.tags.map((t) => ({ ...t })),
    };
  }

  report() {
    return {
      dbSnapshots: [...this.snapshots.values()].map((s) => ({
        id: s.id,
        dbInstance: s.instance,
        status: s.status,
      })),
    };
  }
}
