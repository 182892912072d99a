// The simulated RDS keeps RDS's manual snapshot quota, answers DescribeDBSnapshots in pages with
// each snapshot's tags, and deletes only an available (or failed) snapshot.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';
import type { RdsFaults } from '../../rehearsal/account/rds.ts';
import { nextWindowStart, parseWindow } from '../../tasks/database/maintenance-window.ts';

const rdsWith = (faults: RdsFaults = {}) =>
  new SimulatedAccount({ config: loadConfig(), faults: { rds: faults }, table: 'runbook-state' }).service(
    'rds',
  );

const byHand = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `by-hand-${i}`,
    ageDays: i + 1,
    tags: [{ Key: 'owner', Value: 'dba' }],
  }));

describe('the simulated RDS', () => {
  it('refuses a manual snapshot beyond the region’s quota, 100 by default', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(100) });
    expect(() =>
      rds.createDBSnapshot({
        DBInstanceIdentifier: 'enterprise-prod-db',
        DBSnapshotIdentifier: 'pre-deploy-x',
      }),
    ).toThrow(
      expect.objectContaining({
        name: 'SnapshotQuotaExceededFault',
        message: 'Cannot create more than 100 manual snapshots',
      }),
    );
  });

  it('takes a quota a scenario sets', () => {
    const rds = rdsWith({ snapshotQuota: 3, earlierSnapshots: () => byHand(2) });
    expect(
      rds.createDBSnapshot({
        DBInstanceIdentifier: 'enterprise-prod-db',
        DBSnapshotIdentifier: 'pre-deploy-x',
      }).DBSnapshot.Status,
    ).toBe('creating');
    rds.tick(Date.now() + 3_600_000);
    expect(() =>
      rds.createDBSnapshot({
        DBInstanceIdentifier: 'enterprise-prod-db',
        DBSnapshotIdentifier: 'pre-deploy-y',
      }),
    ).toThrow(expect.objectContaining({ name: 'SnapshotQuotaExceededFault' }));
  });

  it('lists a database’s snapshots in pages, with their tags, manual and automated unless asked for one type', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(30) });
    const manual = { DBInstanceIdentifier: 'enterprise-prod-db', SnapshotType: 'manual', MaxRecords: 20 };
    const first = rds.describeDBSnapshots(manual);
    expect(first.DBSnapshots).toHaveLength(20);
    expect(first.DBSnapshots[0]?.TagList).toEqual([{ Key: 'owner', Value: 'dba' }]);
    const rest = rds.describeDBSnapshots({ ...manual, Marker: first.Marker });
    expect(rest.DBSnapshots).toHaveLength(10);
    expect(rest.Marker).toBeUndefined();
    // RDS's own daily snapshots of the last seven days
    const automated = rds.describeDBSnapshots({
      DBInstanceIdentifier: 'enterprise-prod-db',
      SnapshotType: 'automated',
    }).DBSnapshots;
    expect(automated).toHaveLength(7);
    for (const s of automated) {
      expect(s.SnapshotType).toBe('automated');
      expect(s.DBSnapshotIdentifier).toMatch(/^rds:enterprise-prod-db-\d{4}-\d{2}-\d{2}-03-00$/);
      expect(s.SnapshotCreateTime.getTime()).toBeLessThanOrEqual(Date.now());
    }
    expect(rds.describeDBSnapshots({ DBInstanceIdentifier: 'enterprise-prod-db' }).DBSnapshots).toHaveLength(
      37,
    );
    expect(() =>
      rds.deleteDBSnapshot({ DBSnapshotIdentifier: automated[0]?.DBSnapshotIdentifier ?? '' }),
    ).toThrow(expect.objectContaining({ name: 'InvalidDBSnapshotStateFault' }));
    expect(() => rds.describeDBSnapshots({ MaxRecords: 10 })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
  });

  it('deletes an available snapshot, refuses one still being created, and one that does not exist', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(1) });
    expect(rds.deleteDBSnapshot({ DBSnapshotIdentifier: 'by-hand-0' }).DBSnapshot.Status).toBe('deleted');
    expect(rds.snapshots.has('by-hand-0')).toBe(false);
    rds.createDBSnapshot({
      DBInstanceIdentifier: 'enterprise-prod-db',
      DBSnapshotIdentifier: 'pre-deploy-x',
    });
    expect(() => rds.deleteDBSnapshot({ DBSnapshotIdentifier: 'pre-deploy-x' })).toThrow(
      expect.objectContaining({ name: 'InvalidDBSnapshotStateFault' }),
    );
    expect(() => rds.deleteDBSnapshot({ DBSnapshotIdentifier: 'by-hand-0' })).toThrow(
      expect.objectContaining({ name: 'DBSnapshotNotFoundFault' }),
    );
  });

  it('is backing-up while a snapshot of it is made, and refuses a second one meanwhile', () => {
    const rds = rdsWith();
    const take = (id: string) =>
      rds.createDBSnapshot({ DBInstanceIdentifier: 'enterprise-prod-db', DBSnapshotIdentifier: id });
    take('manual-a');
    expect(
      rds.describeDBInstances({ DBInstanceIdentifier: 'enterprise-prod-db' }).DBInstances[0],
    ).toMatchObject({ DBInstanceStatus: 'backing-up' });
    expect(() => take('manual-b')).toThrow(expect.objectContaining({ name: 'InvalidDBInstanceStateFault' }));
    rds.tick(Date.now() + 3_600_000);
    expect(rds.describeDBInstances({}).DBInstances[0]?.DBInstanceStatus).toBe('available');
    expect(take('manual-b').DBSnapshot.Status).toBe('creating');
  });

  it('describes an instance with what a restore must copy, and refuses one that does not exist', () => {
    const [instance] = rdsWith().describeDBInstances({
      DBInstanceIdentifier: 'ENTERPRISE-PROD-DB',
    }).DBInstances;
    expect(instance).toMatchObject({
      DBInstanceIdentifier: 'enterprise-prod-db',
      Engine: 'postgres',
      MultiAZ: true,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DBSubnetGroup: { DBSubnetGroupName: 'enterprise-prod-db-subnet-group' },
    });
    expect(instance?.VpcSecurityGroups).toHaveLength(2);
    expect(() => rdsWith().describeDBInstances({ DBInstanceIdentifier: 'nope' })).toThrow(
      expect.objectContaining({ name: 'DBInstanceNotFoundFault' }),
    );
  });

  it('exports only an available snapshot, once per task id, STARTING, IN_PROGRESS, then COMPLETE or FAILED', () => {
    let now = Date.now();
    const account = new SimulatedAccount({
      config: loadConfig(),
      faults: { rds: { export: { seconds: 600, fails: false } } },
      table: 'runbook-state',
      start: new Date(now),
    });
    const rds = account.service('rds');
    rds.createDBSnapshot({ DBInstanceIdentifier: 'enterprise-prod-db', DBSnapshotIdentifier: 'manual-x' });
    const arn = 'arn:aws:rds:us-east-1:123456789012:snapshot:manual-x';
    const start = (id: string, source = arn) =>
      rds.startExportTask({
        ExportTaskIdentifier: id,
        SourceArn: source,
        S3BucketName: 'exports',
        S3Prefix: 'prod/main',
        IamRoleArn: 'arn:aws:iam::123456789012:role/export',
        KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      });
    expect(() => start('export-1')).toThrow(
      expect.objectContaining({ name: 'InvalidExportSourceStateFault' }),
    );
    account.clock.advance(300);
    now += 300_000;
    expect(start('export-1').Status).toBe('STARTING');
    expect(() => start('export-1')).toThrow(
      expect.objectContaining({ name: 'ExportTaskAlreadyExistsFault' }),
    );
    expect(() => start('export-2', `${arn}-missing`)).toThrow(
      expect.objectContaining({ name: 'DBSnapshotNotFoundFault' }),
    );
    const status = () => rds.describeExportTasks({ ExportTaskIdentifier: 'export-1' }).ExportTasks[0]?.Status;
    account.clock.advance(120);
    expect(status()).toBe('IN_PROGRESS');
    account.clock.advance(600);
    expect(status()).toBe('COMPLETE');
    expect(() => rds.describeExportTasks({ ExportTaskIdentifier: 'nope' })).toThrow(
      expect.objectContaining({ name: 'ExportTaskNotFoundFault' }),
    );
  });

  it('restores from a snapshot to a new identifier with RDS’s defaults for what it is not given, over tens of minutes', () => {
    const account = new SimulatedAccount({
      config: loadConfig(),
      faults: {},
      table: 'runbook-state',
      start: new Date('2026-12-02T09:00:00Z'),
    });
    const rds = account.service('rds');
    const [automated] = rds.describeDBSnapshots({
      DBInstanceIdentifier: 'enterprise-prod-db',
      SnapshotType: 'automated',
    }).DBSnapshots;
    const restore = (id: string, extra: Record<string, unknown> = {}) =>
      rds.restoreFromSnapshot({
        DBInstanceIdentifier: id,
        DBSnapshotIdentifier: automated?.DBSnapshotIdentifier ?? '',
        ...extra,
      });
    // Never over an identifier that exists
    expect(() => restore('enterprise-prod-db')).toThrow(
      expect.objectContaining({ name: 'DBInstanceAlreadyExistsFault' }),
    );
    const { DBInstance } = restore('enterprise-prod-db-restored');
    // Given nothing, a restore lands on the defaults: one security group, default groups, Single-AZ, public
    expect(DBInstance).toMatchObject({
      DBInstanceStatus: 'creating',
      DBSubnetGroup: { DBSubnetGroupName: 'default' },
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-default-vpc', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres15', ParameterApplyStatus: 'in-sync' }],
      MultiAZ: false,
      DeletionProtection: false,
      PubliclyAccessible: true,
      MonitoringInterval: 0,
    });
    const copied = restore('enterprise-prod-db-copied', {
      DBSubnetGroupName: 'enterprise-prod-db-subnet-group',
      VpcSecurityGroupIds: ['sg-1', 'sg-2'],
      MultiAZ: true,
      PubliclyAccessible: false,
    }).DBInstance;
    expect(copied).toMatchObject({ MultiAZ: true, PubliclyAccessible: false });
    expect(copied.VpcSecurityGroups).toHaveLength(2);
    const status = (id: string) =>
      rds.describeDBInstances({ DBInstanceIdentifier: id }).DBInstances[0]?.DBInstanceStatus;
    account.clock.advance(1799);
    expect(status('enterprise-prod-db-restored')).toBe('creating');
    account.clock.advance(1);
    expect(status('enterprise-prod-db-restored')).toBe('available');
  });

  it('restores to a point in time within the restorable window only, and ends failed as a scenario says', () => {
    const account = new SimulatedAccount({
      config: loadConfig(),
      faults: { rds: { restore: { seconds: 600, endsIn: 'incompatible-restore' } } },
      table: 'runbook-state',
    });
    const rds = account.service('rds');
    const pit = (extra: Record<string, unknown>) =>
      rds.restoreToPointInTime({
        SourceDBInstanceIdentifier: 'enterprise-prod-db',
        TargetDBInstanceIdentifier: 'enterprise-prod-db-pit',
        ...extra,
      });
    expect(() => pit({ RestoreTime: new Date(Date.now() - 30 * 86_400_000) })).toThrow(
      expect.objectContaining({ name: 'InvalidRestoreFault' }),
    );
    expect(() => pit({ RestoreTime: new Date(Date.now()) })).toThrow(
      expect.objectContaining({ name: 'InvalidRestoreFault' }),
    );
    expect(() => pit({})).toThrow(expect.objectContaining({ name: 'InvalidParameterCombination' }));
    expect(pit({ UseLatestRestorableTime: true }).DBInstance.DBInstanceStatus).toBe('creating');
    account.clock.advance(600);
    expect(
      rds.describeDBInstances({ DBInstanceIdentifier: 'enterprise-prod-db-pit' }).DBInstances[0]
        ?.DBInstanceStatus,
    ).toBe('incompatible-restore');
  });

  it('renames an available instance at once, keeping the old name taken until the rename completed', () => {
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table: 'runbook-state' });
    const rds = account.service('rds');
    const renamed = rds.modifyDBInstance({
      DBInstanceIdentifier: 'enterprise-prod-db',
      NewDBInstanceIdentifier: 'enterprise-prod-db-pre-restore-1',
      ApplyImmediately: true,
    }).DBInstance;
    expect(renamed).toMatchObject({
      DBInstanceIdentifier: 'enterprise-prod-db-pre-restore-1',
      DBInstanceStatus: 'renaming',
    });
    expect(() => rds.describeDBInstances({ DBInstanceIdentifier: 'enterprise-prod-db' })).toThrow(
      expect.objectContaining({ name: 'DBInstanceNotFoundFault' }),
    );
    // Its old name cannot be taken while the rename runs, nor can a renaming instance be renamed again
    expect(() =>
      rds.modifyDBInstance({
        DBInstanceIdentifier: 'enterprise-prod-db-pre-restore-1',
        NewDBInstanceIdentifier: 'enterprise-prod-db',
        ApplyImmediately: true,
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidDBInstanceStateFault' }));
    account.clock.advance(120);
    expect(
      rds.describeDBInstances({ DBInstanceIdentifier: 'enterprise-prod-db-pre-restore-1' }).DBInstances[0],
    ).toMatchObject({
      DBInstanceStatus: 'available',
    });
    // Its snapshots keep the name they were taken under
    expect(
      rds.describeDBSnapshots({ DBInstanceIdentifier: 'enterprise-prod-db', SnapshotType: 'automated' })
        .DBSnapshots,
    ).toHaveLength(7);
    expect(() =>
      rds.modifyDBInstance({
        DBInstanceIdentifier: 'enterprise-prod-db-pre-restore-1',
        NewDBInstanceIdentifier: 'Bad--name',
        ApplyImmediately: true,
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterValue' }));
  });

  it('gives Enhanced Monitoring with ModifyDBInstance, and refuses what it does not model', () => {
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table: 'runbook-state' });
    const rds = account.service('rds');
    const id = 'enterprise-prod-db';
    const role = 'arn:aws:iam::123456789012:role/rds-monitoring-role';
    // A deprecated version is listed only with IncludeAll, and may still be upgraded from
    expect(
      rds.describeDBEngineVersions({ Engine: 'postgres', EngineVersion: '15.3' }).DBEngineVersions,
    ).toEqual([]);
    expect(
      rds.describeDBEngineVersions({ Engine: 'postgres', EngineVersion: '15.3', IncludeAll: true })
        .DBEngineVersions[0],
    ).toMatchObject({
      Status: 'deprecated',
      ValidUpgradeTarget: expect.arrayContaining([expect.objectContaining({ EngineVersion: '15.7' })]),
    });
    const modify = (extra: Record<string, unknown>) =>
      rds.modifyDBInstance({ DBInstanceIdentifier: id, ApplyImmediately: true, ...extra });
    expect(() => modify({ MonitoringInterval: 30 })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterCombination' }),
    );
    expect(() => modify({ MonitoringInterval: 7, MonitoringRoleArn: role })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
    expect(() =>
      modify({ MonitoringInterval: 30, MonitoringRoleArn: role, NewDBInstanceIdentifier: 'x' }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterCombination' }));
    expect(() => modify({})).toThrow(expect.objectContaining({ name: 'InvalidParameterCombination' }));
    expect(() =>
      rds.modifyDBInstance({ DBInstanceIdentifier: id, MonitoringInterval: 30, MonitoringRoleArn: role }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterCombination' }));
    expect(modify({ MonitoringInterval: 30, MonitoringRoleArn: role }).DBInstance).toMatchObject({
      DBInstanceStatus: 'modifying',
      MonitoringInterval: 30,
      MonitoringRoleArn: role,
    });
    expect(() => modify({ MonitoringInterval: 60, MonitoringRoleArn: role })).toThrow(
      expect.objectContaining({ name: 'InvalidDBInstanceStateFault' }),
    );
    account.clock.advance(60);
    expect(rds.describeDBInstances({ DBInstanceIdentifier: id }).DBInstances[0]?.DBInstanceStatus).toBe(
      'available',
    );
  });

  it('upgrades to a valid target and changes the class, at once or in the next maintenance window', () => {
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table: 'runbook-state' });
    const rds = account.service('rds');
    const id = 'enterprise-prod-db';
    const describe = () => rds.describeDBInstances({ DBInstanceIdentifier: id }).DBInstances[0];
    expect(
      rds.describeDBEngineVersions({ Engine: 'postgres', EngineVersion: '15.4' }).DBEngineVersions[0],
    ).toMatchObject({
      ValidUpgradeTarget: expect.arrayContaining([
        expect.objectContaining({ EngineVersion: '15.7', IsMajorVersionUpgrade: false }),
        expect.objectContaining({ EngineVersion: '16.3', IsMajorVersionUpgrade: true }),
      ]),
    });
    // A deprecated version is listed only with IncludeAll, and may still be upgraded from
    expect(
      rds.describeDBEngineVersions({ Engine: 'postgres', EngineVersion: '15.3' }).DBEngineVersions,
    ).toEqual([]);
    expect(
      rds.describeDBEngineVersions({ Engine: 'postgres', EngineVersion: '15.3', IncludeAll: true })
        .DBEngineVersions[0],
    ).toMatchObject({
      Status: 'deprecated',
      ValidUpgradeTarget: expect.arrayContaining([expect.objectContaining({ EngineVersion: '15.7' })]),
    });
    const modify = (extra: Record<string, unknown>) =>
      rds.modifyDBInstance({ DBInstanceIdentifier: id, ...extra });
    expect(() => modify({ EngineVersion: '14.9', ApplyImmediately: true })).toThrow(
      expect.objectContaining({
        name: 'InvalidParameterCombination',
        message: 'Cannot upgrade postgres from 15.4 to 14.9',
      }),
    );
    expect(() => modify({ EngineVersion: '16.3', ApplyImmediately: true })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterCombination' }),
    );
    expect(() => modify({ DBInstanceClass: 'large', ApplyImmediately: true })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
    // At once: upgrading for 15 minutes, then the new version
    expect(modify({ EngineVersion: '15.7', ApplyImmediately: true }).DBInstance.DBInstanceStatus).toBe(
      'upgrading',
    );
    account.clock.advance(899);
    // Pessimistically, a change under way is not shown as pending
    expect(describe()).toMatchObject({
      DBInstanceStatus: 'upgrading',
      EngineVersion: '15.4',
      PendingModifiedValues: {},
    });
    account.clock.advance(1);
    expect(describe()).toMatchObject({ DBInstanceStatus: 'available', EngineVersion: '15.7' });
    // In the window: pending until the next Sunday 05:00 UTC, then modifying, then the new class
    const sunday = parseWindow('sun:05:00-sun:06:00') ?? expect.fail('parses');
    expect(modify({ DBInstanceClass: 'db.r6g.xlarge' }).DBInstance).toMatchObject({
      DBInstanceStatus: 'available',
      PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      PendingModifiedValues: { DBInstanceClass: 'db.r6g.xlarge' },
    });
    const start = nextWindowStart(sunday, account.clock.now().getTime());
    expect(new Date(start).getUTCDay()).toBe(0);
    account.clock.advance(Math.ceil((start - account.clock.now().getTime()) / 1000));
    expect(describe()).toMatchObject({
      DBInstanceStatus: 'modifying',
      DBInstanceClass: 'db.r6g.large',
      PendingModifiedValues: {},
    });
    account.clock.advance(900);
    expect(describe()).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceClass: 'db.r6g.xlarge',
      PendingModifiedValues: {},
    });
  });

  it.each([
    ['available-unchanged', 'available'],
    ['incompatible-parameters', 'incompatible-parameters'],
  ] as const)('a failed upgrade (%s) ends %s on the old version, nothing pending', (endsIn, status) => {
    const account = new SimulatedAccount({
      config: loadConfig(),
      faults: { rds: { maintenance: { seconds: 600, endsIn } } },
      table: 'runbook-state',
    });
    const rds = account.service('rds');
    rds.modifyDBInstance({
      DBInstanceIdentifier: 'enterprise-prod-db',
      EngineVersion: '15.5',
      ApplyImmediately: true,
    });
    const describe = () =>
      rds.describeDBInstances({ DBInstanceIdentifier: 'enterprise-prod-db' }).DBInstances[0];
    account.clock.advance(599);
    expect(describe()).toMatchObject({ DBInstanceStatus: 'upgrading', EngineVersion: '15.4' });
    account.clock.advance(1);
    expect(describe()).toMatchObject({
      DBInstanceStatus: status,
      EngineVersion: '15.4',
      PendingModifiedValues: {},
    });
  });

  it('tells IAM a snapshot’s tags, and none of one that does not exist', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(1) });
    expect(rds.tagsOf('BY-HAND-0')).toEqual({ owner: 'dba' });
    expect(rds.tagsOf('nothing')).toEqual({});
  });
});
