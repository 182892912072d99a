// Simulated RDS: the configured instances and their snapshots. A snapshot goes creating -> available
// (or failed, as the scenario says) over simulated time; snapshots are never deleted.
import type { Config } from '../../infra/config.ts';
import { awsError } from './errors.ts';
import { configuredServices, type SimulatedService } from './service.ts';

/** How a scenario makes RDS misbehave. */
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
}

interface SimSnapshot {
  id: string;
  instance: string;
  status: 'creating' | 'available' | 'failed';
  createdAt: number;
  readyAt: number;
  tags: { Key?: string; Value?: string }[];
}

export class SimulatedRds implements SimulatedService {
  readonly name = 'rds';
  readonly instances = new Map<string, { id: string; status: string }>();
  readonly snapshots = new Map<string, SimSnapshot>();

  readonly commands = {
    CreateDBSnapshot: this.createDBSnapshot.bind(this),
    DescribeDBSnapshots: this.describeDBSnapshots.bind(this),
  };

  readonly changes = {
    CreateDBSnapshot: (
      input: { DBInstanceIdentifier?: string },
      output: ReturnType<SimulatedRds['createDBSnapshot']>,
    ) => ({
      target: String(input.DBInstanceIdentifier),
      detail: `snapshot ${output.DBSnapshot.DBSnapshotIdentifier}`,
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
    for (const { svc } of configuredServices(config)) {
      if (svc.database) {
        const id = svc.database.toLowerCase();
        this.instances.set(id, { id, status: 'available' });
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

  describeDBSnapshots(input: { DBSnapshotIdentifier?: string; DBInstanceIdentifier?: string }) {
    if (input.DBSnapshotIdentifier) {
      const snapshot = this.snapshots.get(input.DBSnapshotIdentifier.toLowerCase());
      if (!snapshot)
        throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
      return { DBSnapshots: [this.describe(snapshot)] };
    }
    const all = [...this.snapshots.values()].filter(
      (s) => !input.DBInstanceIdentifier || s.instance === input.DBInstanceIdentifier.toLowerCase(),
    );
    return { DBSnapshots: all.map((s) => this.describe(s)) };
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
      TagList: s.tags,
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
