// Simulated RDS: the configured instances, their snapshots and snapshot exports. An instance carries
// the configuration a restore must copy (network, parameter and option groups, storage, encryption,
// monitoring, tags); it is `backing-up` while a snapshot of it is being made, and a second snapshot
// is then refused (InvalidDBInstanceState), the pessimistic reading of RDS's guide. A snapshot goes
// creating -> available (or failed, as the scenario says) over simulated time; RDS's own daily
// automated snapshots of each instance exist for its backup retention (7 days). The region keeps at
// most `snapshotQuota` manual snapshots (100 by default, as RDS's quota): CreateDBSnapshot beyond it
// is refused with SnapshotQuotaExceeded. DescribeDBSnapshots answers in pages (MaxRecords 20 to
// 100, Marker), manual and automated unless SnapshotType says, with each snapshot's tags;
// DeleteDBSnapshot takes only an available manual snapshot. An export (StartExportTask) goes
// STARTING -> IN_PROGRESS -> COMPLETE, or FAILED with a cause, and needs an available snapshot.
// A restore (from a snapshot, or to a point in time within the restorable window) makes a new
// instance, `creating` until available (or a failed state, as the scenario says), with RDS's
// defaults for every setting it is not given (one default security group, default groups,
// Single-AZ, no deletion protection, no monitoring, and, pessimistically, publicly accessible). A
// rename takes the new identifier at once, `renaming`, and frees the old one only once it completed.
// Enhanced Monitoring is given with ModifyDBInstance (`modifying` for a minute); a restore does not
// take it. A class change (`modifying`) or an engine upgrade (`upgrading`) to one of the engine's
// valid upgrade targets (DescribeDBEngineVersions, which lists a deprecated version only with
// IncludeAll) is applied at once, or, without ApplyImmediately,
// at the start of the instance's next weekly maintenance window (PendingModifiedValues until then,
// and not while it is applied); it takes 15 minutes unless the scenario says otherwise, and may end in a state RDS
// does not leave by itself, or available again on the old class and version.
import type { Config } from '../../infra/config.ts';
import { nextWindowStart, parseWindow } from '../../tasks/database/maintenance-window.ts';
import { restoredPrefix } from '../../tasks/db-restore/names.ts';
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
  /**
   * Seconds a restore takes until available (1,800 without faults: tens of minutes, as RDS's are),
   * and the state it ends in instead of available, if it fails.
   */
  readonly restore?: { readonly seconds: number; readonly endsIn?: 'failed' | 'incompatible-restore' };
  /**
   * Someone made an instance under the name a restore started now would take
   * (`<instance>-restored-<YYYYMMDDHHMM>`): the restore must refuse it, not adopt it.
   */
  readonly restoreTargetTaken?: boolean;
  /**
   * Seconds a class change or engine upgrade takes (900 without faults), and how it ends if it
   * fails: in a state RDS does not leave by itself, or `available` again on the old class and
   * version (an upgrade whose pre-checks failed), which a waiter that looks only at the status
   * takes for done.
   */
  readonly maintenance?: {
    readonly seconds: number;
    readonly endsIn?: 'failed' | 'incompatible-parameters' | 'available-unchanged';
  };
  /** Seconds a rename takes (120 without faults), and whether a rename of an instance this matches is refused. */
  readonly rename?: { readonly seconds: number; readonly refusedFor?: RegExp };
  /** A snapshot of each configured instance is being made when the rehearsal starts, this many seconds from done. */
  readonly snapshotInProgress?: { readonly type: 'manual' | 'automated'; readonly secondsLeft: number };
  /** Seconds an export takes (1,200 without faults), and whether it ends FAILED. */
  readonly export?: { readonly seconds: number; readonly fails: boolean };
  readonly earlierSnapshots?: (db: {
    service: string;
    /** The service's lock key, as the runbook tags its snapshots with it. */
    lockKey: string;
    release: (revision: number) => string;
  }) => readonly EarlierSnapshot[];
  /** The status the first configured database is in when the rehearsal starts (stopped, say). @default available */
  readonly firstInstanceStatus?: string;
}

interface SimSnapshot {
  id: string;
  instance: string;
  type: 'manual' | 'automated';
  status: 'creating' | 'available' | 'failed';
  createdAt: number;
  readyAt: number;
  tags: { Key?: string; Value?: string }[];
  /** The instance's settings when it was taken (a snapshot keeps its instance's name after a rename). */
  source?: SimInstance;
}

type Tag = { Key?: string; Value?: string };

/** What RDS knows of an instance: the settings a restore resets to defaults unless they are passed. */
export interface SimInstance {
  id: string;
  status: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  multiAZ: boolean;
  subnetGroup: string;
  securityGroups: string[];
  parameterGroup: string;
  optionGroup: string;
  storageType: string;
  allocatedStorage: number;
  iops: number;
  storageThroughput: number;
  kmsKeyId: string;
  deletionProtection: boolean;
  iamAuth: boolean;
  monitoringInterval: number;
  monitoringRoleArn: string;
  publiclyAccessible: boolean;
  backupRetentionDays: number;
  createdAt: number;
  tags: Tag[];
  /** RDS's weekly maintenance window, in UTC (ddd:hh:mm-ddd:hh:mm). */
  maintenanceWindow: string;
  /** A class change or upgrade asked for the next maintenance window, and when it was asked. */
  pending?: ModifiedValues & { since: number };
  /** When a restore, a rename or a modification ends, the status it ends in, and what it changes then. */
  busyUntil?: { at: number; becomes: string; apply?: ModifiedValues; undone?: boolean };
  /** The identifier a rename frees once it completes (it cannot be taken before). */
  renamedFrom?: string;
}

type ModifiedValues = { instanceClass?: string; engineVersion?: string };

/**
 * Each engine version's valid upgrade targets, as DescribeDBEngineVersions lists them (a sample of
 * RDS for PostgreSQL's: minor versions of the same major, and the next major).
 */
const UPGRADE_TARGETS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  postgres: {
    '15.3': ['15.4', '15.5', '15.6', '15.7', '16.3'],
    '15.4': ['15.5', '15.6', '15.7', '16.3'],
    '15.5': ['15.6', '15.7', '16.3'],
    '15.6': ['15.7', '16.3'],
    '15.7': ['16.3'],
    '16.3': [],
  },
};
/** Versions RDS no longer offers for new instances: listed by DescribeDBEngineVersions only with IncludeAll. */
const DEPRECATED = new Set(['15.3']);

/** An instance's maintenance window; the simulated instances have valid ones. */
function windowOf(instance: SimInstance) {
  const window = parseWindow(instance.maintenanceWindow);
  if (!window)
    throw new Error(`${instance.id} has no valid maintenance window: ${instance.maintenanceWindow}`);
  return window;
}

/** What a restore gets for each setting it is not given (RDS User Guide, "Restoring to a DB instance"). */
const RESTORE_DEFAULTS = {
  subnetGroup: 'default',
  securityGroups: ['sg-default-vpc'],
  multiAZ: false,
  optionGroup: 'default:postgres-15',
  deletionProtection: false,
  iamAuth: false,
  monitoringInterval: 0,
  // Pessimistic: with the default subnet group (public subnets) an instance restored without
  // PubliclyAccessible is reachable from the internet.
  publiclyAccessible: true,
};

interface SimExport {
  id: string;
  sourceArn: string;
  bucket: string;
  prefix: string;
  roleArn: string;
  kmsKeyId: string;
  startedAt: number;
  readyAt: number;
  fails: boolean;
}

/** RDS's default quota of manual DB snapshots per region. */
export const DEFAULT_SNAPSHOT_QUOTA = 100;

const DAY_MS = 86_400_000;

/** How long RDS keeps an instance's automated snapshots, and how many days of them a rehearsal starts with. */
const BACKUP_RETENTION_DAYS = 7;
/** How long an export sits in STARTING before it runs. */
const EXPORT_STARTING_SECONDS = 60;

export class SimulatedRds implements SimulatedService {
  readonly name = 'rds';
  readonly instances = new Map<string, SimInstance>();
  readonly snapshots = new Map<string, SimSnapshot>();
  readonly exports = new Map<string, SimExport>();
  private readonly quota: number;

  readonly commands = {
    CreateDBSnapshot: this.createDBSnapshot.bind(this),
    DescribeDBSnapshots: this.describeDBSnapshots.bind(this),
    DeleteDBSnapshot: this.deleteDBSnapshot.bind(this),
    DescribeDBInstances: this.describeDBInstances.bind(this),
    RestoreDBInstanceFromDBSnapshot: this.restoreFromSnapshot.bind(this),
    RestoreDBInstanceToPointInTime: this.restoreToPointInTime.bind(this),
    ModifyDBInstance: this.modifyDBInstance.bind(this),
    DescribeDBEngineVersions: this.describeDBEngineVersions.bind(this),
    StartExportTask: this.startExportTask.bind(this),
    DescribeExportTasks: this.describeExportTasks.bind(this),
    DescribeEvents: this.describeEvents.bind(this),
  };

  /** The instances' events, oldest first: each change of status, as RDS words it where known. */
  private readonly events: { instance: string; at: number; message: string; categories: string[] }[] = [];
  /** Each instance's status as the events last told it. */
  private readonly toldStatus = new Map<string, string>();

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
    RestoreDBInstanceFromDBSnapshot: (
      input: { DBSnapshotIdentifier?: string },
      output: ReturnType<SimulatedRds['restoreFromSnapshot']>,
    ) => ({
      target: output.DBInstance.DBInstanceIdentifier,
      detail: `restored from snapshot ${input.DBSnapshotIdentifier}`,
    }),
    RestoreDBInstanceToPointInTime: (
      input: { SourceDBInstanceIdentifier?: string; RestoreTime?: Date; UseLatestRestorableTime?: boolean },
      output: ReturnType<SimulatedRds['restoreToPointInTime']>,
    ) => ({
      target: output.DBInstance.DBInstanceIdentifier,
      detail: `restored from ${input.SourceDBInstanceIdentifier} as of ${input.UseLatestRestorableTime ? 'the latest restorable time' : new Date(input.RestoreTime ?? 0).toISOString()}`,
    }),
    ModifyDBInstance: (
      input: {
        DBInstanceIdentifier?: string;
        NewDBInstanceIdentifier?: string;
        MonitoringInterval?: number;
        DBInstanceClass?: string;
        EngineVersion?: string;
        ApplyImmediately?: boolean;
      },
      output: ReturnType<SimulatedRds['modifyDBInstance']>,
    ) => ({
      target: String(input.DBInstanceIdentifier).toLowerCase(),
      detail: input.NewDBInstanceIdentifier
        ? `renamed to ${output.DBInstance.DBInstanceIdentifier}`
        : input.MonitoringInterval !== undefined
          ? `Enhanced Monitoring every ${output.DBInstance.MonitoringInterval} s`
          : [
              input.DBInstanceClass && `class ${input.DBInstanceClass}`,
              input.EngineVersion && `engine version ${input.EngineVersion}`,
              input.ApplyImmediately ? 'now' : 'in the next maintenance window',
            ]
              .filter(Boolean)
              .join(', '),
    }),
    StartExportTask: (_input: unknown, output: ReturnType<SimulatedRds['startExportTask']>) => ({
      target: output.SourceArn.split(':').pop() ?? output.SourceArn,
      detail: `export ${output.ExportTaskIdentifier} to s3://${output.S3Bucket}/${output.S3Prefix}`,
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
    const databases = Object.values(config.environments).flatMap((env) =>
      Object.values(env.databases).map((db) => db.instance),
    );
    for (const id of databases) this.addInstance(id, now());
    const first = databases[0] && this.instances.get(databases[0].toLowerCase());
    if (first && faults?.firstInstanceStatus) first.status = faults.firstInstanceStatus;
    // What the instances are when the rehearsal starts: available ones have nothing to tell; a
    // scenario's other status came about in the hour before.
    for (const instance of this.instances.values()) {
      this.toldStatus.set(instance.id, 'available');
      if (instance.status !== 'available') {
        const told = statusEvent('available', instance.status);
        if (told) this.events.push({ instance: instance.id, at: now() - 20 * 60_000, ...told });
        this.toldStatus.set(instance.id, instance.status);
      }
    }
    if (faults?.restoreTargetTaken)
      for (const id of databases) {
        const source = this.addInstance(id, now());
        const stamp = new Date(now())
          .toISOString()
          .replace(/[^0-9]/g, '')
          .slice(0, 12);
        const taken = `${restoredPrefix(id)}${stamp}`;
        this.instances.set(taken, {
          ...source,
          id: taken,
          createdAt: now() - DAY_MS,
          tags: [{ Key: 'owner', Value: 'dba-team' }],
        });
      }
    for (const { environment, key, svc } of configuredServices(config)) {
      if (!svc.database) continue;
      const instance = this.addInstance(svc.database, now()).id;
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
          type: 'manual',
          status: 'available',
          createdAt,
          readyAt: createdAt,
          tags: snapshot.tags.map((t) => ({ ...t })),
        });
      }
    }
  }

  /** Seeds an instance (once) with its automated snapshots, and the snapshot in progress the scenario names. */
  private addInstance(identifier: string, now: number): SimInstance {
    const id = identifier.toLowerCase();
    const known = this.instances.get(id);
    if (known) return known;
    const instance: SimInstance = {
      id,
      status: 'available',
      engine: 'postgres',
      engineVersion: '15.4',
      instanceClass: 'db.r6g.large',
      multiAZ: true,
      subnetGroup: `${id}-subnet-group`,
      securityGroups: ['sg-0a1b2c3d4e5f60718', 'sg-0f9e8d7c6b5a49382'],
      parameterGroup: `${id}-postgres15`,
      optionGroup: 'default:postgres-15',
      storageType: 'gp3',
      allocatedStorage: 400,
      iops: 12000,
      storageThroughput: 500,
      kmsKeyId: `arn:aws:kms:${this.region}:${this.account}:key/3f0c1b2a-9d8e-4c7b-a6f5-e4d3c2b1a098`,
      deletionProtection: true,
      iamAuth: true,
      monitoringInterval: 60,
      monitoringRoleArn: `arn:aws:iam::${this.account}:role/rds-monitoring-role`,
      publiclyAccessible: false,
      backupRetentionDays: BACKUP_RETENTION_DAYS,
      maintenanceWindow: 'sun:05:00-sun:06:00',
      createdAt: now - 400 * DAY_MS,
      tags: [
        { Key: 'team', Value: 'platform' },
        { Key: 'data-classification', Value: 'confidential' },
      ],
    };
    this.instances.set(id, instance);
    // RDS's daily automated snapshots, one a day at 03:00 UTC, for the retention period.
    const today = new Date(now);
    today.setUTCHours(3, 0, 0, 0);
    for (let day = 1; day <= instance.backupRetentionDays; day++) {
      const at = today.getTime() - (day - (today.getTime() <= now ? 1 : 0)) * DAY_MS;
      const stamp = new Date(at).toISOString().slice(0, 16).replace(/[T:]/g, '-');
      const snapshotId = `rds:${id}-${stamp}`;
      this.snapshots.set(snapshotId, {
        id: snapshotId,
        instance: id,
        type: 'automated',
        status: 'available',
        createdAt: at,
        readyAt: at,
        tags: [],
        source: { ...instance, tags: [...instance.tags] },
      });
    }
    const busy = this.faults?.snapshotInProgress;
    if (busy) {
      const snapshotId =
        busy.type === 'automated' ? `rds:${id}-in-progress` : `${id}-taken-by-hand-in-progress`;
      this.snapshots.set(snapshotId, {
        id: snapshotId,
        instance: id,
        type: busy.type,
        status: 'creating',
        createdAt: now - 60_000,
        readyAt: now + busy.secondsLeft * 1000,
        tags: busy.type === 'manual' ? [{ Key: 'owner', Value: 'dba-team' }] : [],
      });
      instance.status = 'backing-up';
    }
    return instance;
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
        snapshot.status = this.faults?.snapshot?.fails && snapshot.type === 'manual' ? 'failed' : 'available';
      }
    }
    // An instance is backing-up for as long as a snapshot of it is being made.
    for (const instance of this.instances.values()) {
      if (
        instance.pending &&
        !instance.busyUntil &&
        nextWindowStart(windowOf(instance), instance.pending.since) <= now
      ) {
        const { since: _since, ...values } = instance.pending;
        instance.pending = undefined;
        this.startModification(instance, values);
      }
      if (instance.busyUntil) {
        if (instance.busyUntil.at > now) continue;
        const { becomes, apply } = instance.busyUntil;
        instance.status = becomes;
        // A change that failed leaves the instance as it was.
        if (apply && becomes === 'available' && !instance.busyUntil.undone) {
          if (apply.instanceClass) instance.instanceClass = apply.instanceClass;
          if (apply.engineVersion) instance.engineVersion = apply.engineVersion;
        }
        instance.busyUntil = undefined;
        instance.renamedFrom = undefined;
      }
      const busy = [...this.snapshots.values()].some(
        (s) => s.instance === instance.id && s.status === 'creating',
      );
      if (busy && instance.status === 'available') instance.status = 'backing-up';
      if (!busy && instance.status === 'backing-up') instance.status = 'available';
    }
    this.tellStatuses(now);
  }

  /** An event for each instance whose status changed since the last tick (and for each new instance). */
  private tellStatuses(now: number): void {
    for (const instance of this.instances.values()) {
      const before = this.toldStatus.get(instance.id);
      if (before === instance.status) continue;
      this.toldStatus.set(instance.id, instance.status);
      const told = statusEvent(before, instance.status);
      if (told) this.events.push({ instance: instance.id, at: now, ...told });
    }
  }

  /**
   * As RDS answers it for instances: the events of the last `Duration` minutes (60 by default) or
   * of StartTime to EndTime, of one instance when SourceIdentifier names it, oldest first, in pages
   * of MaxRecords (20 to 100) with a Marker. RDS keeps events 14 days.
   */
  describeEvents(input: {
    SourceIdentifier?: string;
    SourceType?: string;
    StartTime?: Date;
    EndTime?: Date;
    Duration?: number;
    MaxRecords?: number;
    Marker?: string;
  }) {
    const max = input.MaxRecords ?? 100;
    if (max < 20 || max > 100)
      throw awsError('InvalidParameterValue', 'MaxRecords must be between 20 and 100.');
    if (input.SourceIdentifier && !input.SourceType)
      throw awsError('InvalidParameterCombination', 'SourceType must be given with SourceIdentifier.');
    if (input.SourceType && input.SourceType !== 'db-instance') return { Events: [] };
    const now = this.now();
    const end = input.EndTime ? new Date(input.EndTime).getTime() : now;
    const start = input.StartTime
      ? new Date(input.StartTime).getTime()
      : end - (input.Duration ?? 60) * 60_000;
    const wanted = input.SourceIdentifier?.toLowerCase();
    const matching = this.events.filter(
      (e) =>
        (!wanted || e.instance === wanted) && e.at >= start && e.at <= end && e.at >= now - 14 * 86_400_000,
    );
    const from = Number(input.Marker ?? 0);
    const page = matching.slice(from, from + max);
    return {
      Events: page.map((e) => ({
        SourceIdentifier: e.instance,
        SourceType: 'db-instance',
        SourceArn: `arn:aws:rds:${this.region}:${this.account}:db:${e.instance}`,
        Message: e.message,
        EventCategories: e.categories,
        Date: new Date(e.at),
      })),
      ...(from + max < matching.length && { Marker: String(from + max) }),
    };
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
    const manual = [...this.snapshots.values()].filter((s) => s.type === 'manual').length;
    if (manual >= this.quota)
      throw awsError('SnapshotQuotaExceededFault', `Cannot create more than ${this.quota} manual snapshots`);
    const seconds = this.faults?.snapshot?.seconds ?? 240;
    const snapshot: SimSnapshot = {
      id,
      instance: instance.id,
      type: 'manual',
      status: 'creating',
      createdAt: this.now(),
      readyAt: this.now() + seconds * 1000,
      tags: input.Tags ?? [],
      source: { ...instance, tags: [...instance.tags] },
    };
    this.snapshots.set(id, snapshot);
    instance.status = 'backing-up';
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
    // Without SnapshotType, manual and automated ones (no shared or public ones exist here).
    const all = [...this.snapshots.values()].filter(
      (s) =>
        (!input.SnapshotType || s.type === input.SnapshotType) &&
        (!input.DBInstanceIdentifier || s.instance === input.DBInstanceIdentifier.toLowerCase()),
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
    if (snapshot.type === 'automated')
      throw awsError(
        'InvalidDBSnapshotStateFault',
        `Cannot delete an automated snapshot (${snapshot.id}): RDS deletes it after the retention period.`,
      );
    if (snapshot.status !== 'available' && snapshot.status !== 'failed')
      throw awsError(
        'InvalidDBSnapshotStateFault',
        `Cannot delete the snapshot because it is not in available or failed state (${snapshot.status}).`,
      );
    this.snapshots.delete(snapshot.id);
    return { DBSnapshot: { ...this.describe(snapshot), Status: 'deleted' } };
  }

  describeDBInstances(input: { DBInstanceIdentifier?: string }) {
    const wanted = input.DBInstanceIdentifier?.toLowerCase();
    if (wanted) {
      const instance = this.instances.get(wanted);
      if (!instance)
        throw awsError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`);
      return { DBInstances: [this.describeInstance(instance)] };
    }
    return { DBInstances: [...this.instances.values()].map((i) => this.describeInstance(i)) };
  }

  /** Refuses an identifier in use, or freed by a rename not yet complete. */
  private claim(identifier: string | undefined): string {
    const id = (identifier ?? '').toLowerCase();
    if (!/^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/.test(id))
      throw awsError(
        'InvalidParameterValue',
        `The parameter DBInstanceIdentifier is not a valid identifier: ${identifier}.`,
      );
    const taken = this.instances.has(id) || [...this.instances.values()].some((i) => i.renamedFrom === id);
    if (taken) throw awsError('DBInstanceAlreadyExistsFault', `DB instance already exists: ${id}`);
    return id;
  }

  /** A new instance from a source's data: the settings given, RESTORE_DEFAULTS for the rest. */
  private restored(
    id: string,
    source: SimInstance,
    input: {
      DBInstanceClass?: string;
      DBSubnetGroupName?: string;
      VpcSecurityGroupIds?: string[];
      DBParameterGroupName?: string;
      OptionGroupName?: string;
      MultiAZ?: boolean;
      StorageType?: string;
      Iops?: number;
      StorageThroughput?: number;
      DeletionProtection?: boolean;
      EnableIAMDatabaseAuthentication?: boolean;
      PubliclyAccessible?: boolean;
      Tags?: Tag[];
    },
  ) {
    const restore = this.faults?.restore;
    const instance: SimInstance = {
      ...source,
      id,
      status: 'creating',
      instanceClass: input.DBInstanceClass ?? source.instanceClass,
      subnetGroup: input.DBSubnetGroupName ?? RESTORE_DEFAULTS.subnetGroup,
      securityGroups: input.VpcSecurityGroupIds ?? RESTORE_DEFAULTS.securityGroups,
      parameterGroup:
        input.DBParameterGroupName ?? `default.${source.engine}${source.engineVersion.split('.')[0]}`,
      optionGroup: input.OptionGroupName ?? RESTORE_DEFAULTS.optionGroup,
      multiAZ: input.MultiAZ ?? RESTORE_DEFAULTS.multiAZ,
      storageType: input.StorageType ?? source.storageType,
      iops: input.Iops ?? source.iops,
      storageThroughput: input.StorageThroughput ?? source.storageThroughput,
      deletionProtection: input.DeletionProtection ?? RESTORE_DEFAULTS.deletionProtection,
      iamAuth: input.EnableIAMDatabaseAuthentication ?? RESTORE_DEFAULTS.iamAuth,
      monitoringInterval: RESTORE_DEFAULTS.monitoringInterval,
      publiclyAccessible: input.PubliclyAccessible ?? RESTORE_DEFAULTS.publiclyAccessible,
      createdAt: this.now(),
      tags: (input.Tags ?? []).map((t) => ({ ...t })),
      busyUntil: {
        at: this.now() + (restore?.seconds ?? 1800) * 1000,
        becomes: restore?.endsIn ?? 'available',
      },
    };
    this.instances.set(id, instance);
    return { DBInstance: this.describeInstance(instance) };
  }

  restoreFromSnapshot(
    input: Parameters<SimulatedRds['restored']>[2] & {
      DBInstanceIdentifier?: string;
      DBSnapshotIdentifier?: string;
    },
  ) {
    const snapshot = this.snapshots.get((input.DBSnapshotIdentifier ?? '').toLowerCase());
    if (!snapshot)
      throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
    if (snapshot.status !== 'available')
      throw awsError(
        'InvalidDBSnapshotStateFault',
        `Snapshot ${snapshot.id} is not available (${snapshot.status}).`,
      );
    const id = this.claim(input.DBInstanceIdentifier);
    const source = snapshot.source ?? this.instances.get(snapshot.instance);
    if (!source)
      throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${snapshot.id} has no source instance.`);
    return this.restored(id, source, input);
  }

  restoreToPointInTime(
    input: Parameters<SimulatedRds['restored']>[2] & {
      SourceDBInstanceIdentifier?: string;
      TargetDBInstanceIdentifier?: string;
      RestoreTime?: Date;
      UseLatestRestorableTime?: boolean;
    },
  ) {
    const source = this.instances.get((input.SourceDBInstanceIdentifier ?? '').toLowerCase());
    if (!source)
      throw awsError('DBInstanceNotFoundFault', `DBInstance ${input.SourceDBInstanceIdentifier} not found.`);
    if (Boolean(input.RestoreTime) === Boolean(input.UseLatestRestorableTime))
      throw awsError(
        'InvalidParameterCombination',
        'Give exactly one of RestoreTime or UseLatestRestorableTime.',
      );
    const { earliest, latest } = this.restorableWindow(source);
    const at = input.RestoreTime ? new Date(input.RestoreTime).getTime() : latest;
    if (at < earliest || at > latest)
      throw awsError(
        'InvalidRestoreFault',
        `Restore time ${new Date(at).toISOString()} is outside the restorable window (${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()}).`,
      );
    const id = this.claim(input.TargetDBInstanceIdentifier);
    return this.restored(id, source, input);
  }

  /** From the oldest automated backup to about five minutes ago. */
  restorableWindow(instance: SimInstance): { earliest: number; latest: number } {
    const automated = [...this.snapshots.values()].filter(
      (s) => s.instance === instance.id && s.type === 'automated' && s.status === 'available',
    );
    const earliest = Math.min(this.now(), ...automated.map((s) => s.createdAt));
    return { earliest: Math.max(earliest, instance.createdAt), latest: this.now() - 5 * 60_000 };
  }

  /** A class change or upgrade starting now: `upgrading` for a version, else `modifying`. */
  private startModification(instance: SimInstance, values: ModifiedValues): void {
    const maintenance = this.faults?.maintenance;
    instance.status = values.engineVersion ? 'upgrading' : 'modifying';
    const unchanged = maintenance?.endsIn === 'available-unchanged';
    instance.busyUntil = {
      at: this.now() + (maintenance?.seconds ?? 900) * 1000,
      becomes: unchanged ? 'available' : (maintenance?.endsIn ?? 'available'),
      apply: values,
      ...(unchanged && { undone: true }),
    };
  }

  describeDBEngineVersions(input: { Engine?: string; EngineVersion?: string; IncludeAll?: boolean }) {
    const engine = input.Engine ?? 'postgres';
    const versions = Object.entries(UPGRADE_TARGETS[engine] ?? {}).filter(
      ([v]) =>
        (!input.EngineVersion || v === input.EngineVersion) && (input.IncludeAll || !DEPRECATED.has(v)),
    );
    return {
      DBEngineVersions: versions.map(([version, targets]) => ({
        Engine: engine,
        EngineVersion: version,
        Status: DEPRECATED.has(version) ? 'deprecated' : 'available',
        ValidUpgradeTarget: targets.map((t) => ({
          Engine: engine,
          EngineVersion: t,
          IsMajorVersionUpgrade: t.split('.')[0] !== version.split('.')[0],
          AutoUpgrade: false,
        })),
      })),
    };
  }

  modifyDBInstance(input: {
    DBInstanceIdentifier?: string;
    NewDBInstanceIdentifier?: string;
    MonitoringInterval?: number;
    MonitoringRoleArn?: string;
    DBInstanceClass?: string;
    EngineVersion?: string;
    AllowMajorVersionUpgrade?: boolean;
    ApplyImmediately?: boolean;
  }) {
    const instance = this.instances.get((input.DBInstanceIdentifier ?? '').toLowerCase());
    if (!instance)
      throw awsError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`);
    if (instance.status !== 'available')
      throw awsError('InvalidDBInstanceStateFault', `Instance ${instance.id} is not in available state.`);
    const renames = input.NewDBInstanceIdentifier !== undefined;
    const monitors = input.MonitoringInterval !== undefined || input.MonitoringRoleArn !== undefined;
    const changes = input.DBInstanceClass !== undefined || input.EngineVersion !== undefined;
    if ([renames, monitors, changes].filter(Boolean).length !== 1)
      throw awsError(
        'InvalidParameterCombination',
        'the simulated RDS modifies one kind of thing at a time: a rename (NewDBInstanceIdentifier), Enhanced Monitoring, or the class and engine version.',
      );
    if (changes) return this.changeClassOrVersion(instance, input);
    if (!input.ApplyImmediately)
      throw awsError(
        'InvalidParameterCombination',
        'the simulated RDS modifies only with ApplyImmediately (a change otherwise waits for the maintenance window).',
      );
    if (monitors) {
      const interval = input.MonitoringInterval ?? instance.monitoringInterval;
      if (![0, 1, 5, 10, 15, 30, 60].includes(interval))
        throw awsError(
          'InvalidParameterValue',
          `MonitoringInterval must be 0, 1, 5, 10, 15, 30 or 60, not ${interval}.`,
        );
      if (interval > 0 && !input.MonitoringRoleArn)
        throw awsError(
          'InvalidParameterCombination',
          'A MonitoringRoleArn value is required if you specify a MonitoringInterval value other than 0.',
        );
      instance.monitoringInterval = interval;
      instance.monitoringRoleArn = input.MonitoringRoleArn ?? '';
      instance.status = 'modifying';
      instance.busyUntil = { at: this.now() + 60_000, becomes: 'available' };
      return { DBInstance: this.describeInstance(instance) };
    }
    const newId = String(input.NewDBInstanceIdentifier);
    const refused = this.faults?.rename?.refusedFor;
    if (refused?.test(instance.id))
      throw awsError(
        'InvalidDBInstanceStateFault',
        `Cannot rename ${instance.id} now: the instance is busy.`,
      );
    const id = this.claim(newId);
    // The new name is the instance's at once; the old one is free only once the rename completed.
    this.instances.delete(instance.id);
    instance.renamedFrom = instance.id;
    instance.id = id;
    instance.status = 'renaming';
    instance.busyUntil = {
      at: this.now() + (this.faults?.rename?.seconds ?? 120) * 1000,
      becomes: 'available',
    };
    this.instances.set(id, instance);
    return { DBInstance: this.describeInstance(instance) };
  }

  private changeClassOrVersion(
    instance: SimInstance,
    input: {
      DBInstanceClass?: string;
      EngineVersion?: string;
      AllowMajorVersionUpgrade?: boolean;
      ApplyImmediately?: boolean;
    },
  ) {
    const values: ModifiedValues = {};
    if (input.DBInstanceClass !== undefined && input.DBInstanceClass !== instance.instanceClass) {
      if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(input.DBInstanceClass))
        throw awsError('InvalidParameterValue', `Invalid DB instance class: ${input.DBInstanceClass}`);
      values.instanceClass = input.DBInstanceClass;
    }
    if (input.EngineVersion !== undefined && input.EngineVersion !== instance.engineVersion) {
      const target = this.describeDBEngineVersions({
        Engine: instance.engine,
        EngineVersion: instance.engineVersion,
        IncludeAll: true,
      }).DBEngineVersions[0]?.ValidUpgradeTarget.find((t) => t.EngineVersion === input.EngineVersion);
      if (!target)
        throw awsError(
          'InvalidParameterCombination',
          `Cannot upgrade ${instance.engine} from ${instance.engineVersion} to ${input.EngineVersion}`,
        );
      if (target.IsMajorVersionUpgrade && !input.AllowMajorVersionUpgrade)
        throw awsError(
          'InvalidParameterCombination',
          'The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.',
        );
      values.engineVersion = input.EngineVersion;
    }
    if (input.ApplyImmediately) this.startModification(instance, values);
    else instance.pending = { ...instance.pending, ...values, since: this.now() };
    return { DBInstance: this.describeInstance(instance) };
  }

  startExportTask(input: {
    ExportTaskIdentifier?: string;
    SourceArn?: string;
    S3BucketName?: string;
    S3Prefix?: string;
    IamRoleArn?: string;
    KmsKeyId?: string;
  }) {
    const id = input.ExportTaskIdentifier ?? '';
    for (const [field, value] of Object.entries({
      ExportTaskIdentifier: id,
      SourceArn: input.SourceArn,
      S3BucketName: input.S3BucketName,
      IamRoleArn: input.IamRoleArn,
      KmsKeyId: input.KmsKeyId,
    }))
      if (!value) throw awsError('InvalidParameterValue', `${field} is required.`);
    if (this.exports.has(id))
      throw awsError(
        'ExportTaskAlreadyExistsFault',
        `An export task with the identifier ${id} already exists.`,
      );
    const snapshot = this.snapshots.get(String(input.SourceArn).split(':snapshot:').pop() ?? '');
    if (!snapshot) throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.SourceArn} not found.`);
    if (snapshot.status !== 'available')
      throw awsError(
        'InvalidExportSourceStateFault',
        `The snapshot ${snapshot.id} is ${snapshot.status}; only an available snapshot can be exported.`,
      );
    const task: SimExport = {
      id,
      sourceArn: String(input.SourceArn),
      bucket: String(input.S3BucketName),
      prefix: input.S3Prefix ?? '',
      roleArn: String(input.IamRoleArn),
      kmsKeyId: String(input.KmsKeyId),
      startedAt: this.now(),
      readyAt: this.now() + (this.faults?.export?.seconds ?? 1200) * 1000,
      fails: this.faults?.export?.fails ?? false,
    };
    this.exports.set(id, task);
    return this.describeExport(task);
  }

  describeExportTasks(input: { ExportTaskIdentifier?: string }) {
    const wanted = input.ExportTaskIdentifier;
    if (wanted && !this.exports.has(wanted))
      throw awsError('ExportTaskNotFoundFault', `Cannot find the export task ${wanted}.`);
    const tasks = [...this.exports.values()].filter((t) => !wanted || t.id === wanted);
    return { ExportTasks: tasks.map((t) => this.describeExport(t)) };
  }

  private describeExport(t: SimExport) {
    const now = this.now();
    const status =
      now < t.startedAt + EXPORT_STARTING_SECONDS * 1000
        ? 'STARTING'
        : now < t.readyAt
          ? 'IN_PROGRESS'
          : t.fails
            ? 'FAILED'
            : 'COMPLETE';
    const progress =
      status === 'COMPLETE'
        ? 100
        : Math.min(99, Math.floor(((now - t.startedAt) / Math.max(1, t.readyAt - t.startedAt)) * 100));
    return {
      ExportTaskIdentifier: t.id,
      SourceArn: t.sourceArn,
      S3Bucket: t.bucket,
      S3Prefix: t.prefix,
      IamRoleArn: t.roleArn,
      KmsKeyId: t.kmsKeyId,
      SourceType: 'SNAPSHOT',
      Status: status,
      PercentProgress: progress,
      TaskStartTime: new Date(t.startedAt),
      ...(status === 'COMPLETE' && { TaskEndTime: new Date(t.readyAt) }),
      ...(status === 'FAILED' && {
        TaskEndTime: new Date(t.readyAt),
        FailureCause: `The export role ${t.roleArn} cannot write to s3://${t.bucket}/${t.prefix}: Access Denied.`,
      }),
    };
  }

  private describeInstance(i: SimInstance) {
    // Only what waits for the window: pessimistically, a change under way is not shown as pending.
    const pending = i.pending;
    return {
      DBInstanceIdentifier: i.id,
      DBInstanceArn: `arn:aws:rds:${this.region}:${this.account}:db:${i.id}`,
      DBInstanceStatus: i.status,
      Engine: i.engine,
      EngineVersion: i.engineVersion,
      DBInstanceClass: i.instanceClass,
      MultiAZ: i.multiAZ,
      AvailabilityZone: `${this.region}a`,
      ...(i.multiAZ && { SecondaryAvailabilityZone: `${this.region}b` }),
      DBSubnetGroup: { DBSubnetGroupName: i.subnetGroup },
      VpcSecurityGroups: i.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
      DBParameterGroups: [{ DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: 'in-sync' }],
      OptionGroupMemberships: [{ OptionGroupName: i.optionGroup, Status: 'in-sync' }],
      StorageType: i.storageType,
      AllocatedStorage: i.allocatedStorage,
      Iops: i.iops,
      StorageThroughput: i.storageThroughput,
      StorageEncrypted: true,
      KmsKeyId: i.kmsKeyId,
      DeletionProtection: i.deletionProtection,
      IAMDatabaseAuthenticationEnabled: i.iamAuth,
      MonitoringInterval: i.monitoringInterval,
      MonitoringRoleArn: i.monitoringRoleArn,
      PubliclyAccessible: i.publiclyAccessible,
      BackupRetentionPeriod: i.backupRetentionDays,
      PreferredMaintenanceWindow: i.maintenanceWindow,
      PendingModifiedValues: {
        ...(pending?.instanceClass && { DBInstanceClass: pending.instanceClass }),
        ...(pending?.engineVersion && { EngineVersion: pending.engineVersion }),
      },
      InstanceCreateTime: new Date(i.createdAt),
      // Point-in-time restores reach back to the retention period, up to about five minutes ago.
      LatestRestorableTime: new Date(this.restorableWindow(i).latest),
      Endpoint: { Address: `${i.id}.c9akciq32.${this.region}.rds.amazonaws.com`, Port: 5432 },
      TagList: i.tags.map((t) => ({ ...t })),
    };
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
      SnapshotType: s.type,
      PercentProgress: progress,
      SnapshotCreateTime: new Date(s.createdAt),
      TagList: s.tags.map((t) => ({ ...t })),
    };
  }

  report() {
    return {
      /** The manual snapshots (RDS's automated ones come and go with the retention). */
      dbSnapshots: [...this.snapshots.values()]
        .filter((s) => s.type === 'manual')
        .map((s) => ({ id: s.id, dbInstance: s.instance, status: s.status })),
      dbInstances: [...this.instances.values()].map((i) => ({
        id: i.id,
        status: i.status,
        engineVersion: i.engineVersion,
        instanceClass: i.instanceClass,
      })),
      exportTasks: [...this.exports.values()].map((t) => {
        const d = this.describeExport(t);
        return { id: t.id, source: t.sourceArn, status: d.Status, location: `s3://${t.bucket}/${t.prefix}` };
      }),
    };
  }
}

/** The event RDS writes when an instance goes from one status to another (its message where known). */
function statusEvent(
  before: string | undefined,
  status: string,
): { message: string; categories: string[] } | undefined {
  if (before === undefined)
    return status === 'creating' ? { message: 'DB instance creating', categories: ['creation'] } : undefined;
  if (status === 'backing-up') return { message: 'Backing up DB instance', categories: ['backup'] };
  if (status === 'available' && before === 'backing-up')
    return { message: 'Finished DB Instance backup', categories: ['backup'] };
  if (status === 'available' && before === 'creating')
    return { message: 'DB instance created', categories: ['creation'] };
  if (status === 'storage-full')
    return {
      message: 'Allocated storage has been exhausted. Allocate additional storage to resolve the issue.',
      categories: ['low storage'],
    };
  if (status === 'stopped') return { message: 'DB instance stopped', categories: ['notification'] };
  if (status === 'rebooting') return { message: 'DB instance restarted', categories: ['availability'] };
  if (status === 'failed' || status.startsWith('incompatible-'))
    return { message: `DB instance is in the ${status} state`, categories: ['failure'] };
  return { message: `DB instance status changed from ${before} to ${status}`, categories: ['notification'] };
}
