import {
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { restoreInstance } from '../../../tasks/database/restore-instance.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const DB = 'enterprise-prod-db';
const TARGET = 'enterprise-prod-db-restore-202612011000';
const RUN = 'arn:aws:states:us-east-1:123456789012:execution:runbook-db-restore:run-1';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/3f0c1b2a';

/** The source as DescribeDBInstances answers: every setting a restore would otherwise reset. */
const SOURCE = {
  DBInstanceIdentifier: DB,
  DBInstanceStatus: 'available',
  DBInstanceClass: 'db.r6g.large',
  DBSubnetGroup: { DBSubnetGroupName: 'prod-db-subnets' },
  VpcSecurityGroups: [
    { VpcSecurityGroupId: 'sg-1' },
    { VpcSecurityGroupId: 'sg-2' },
    { VpcSecurityGroupId: 'sg-3' },
  ],
  DBParameterGroups: [{ DBParameterGroupName: 'prod-postgres15' }],
  OptionGroupMemberships: [{ OptionGroupName: 'prod-options' }],
  MultiAZ: true,
  StorageType: 'gp3',
  Iops: 12000,
  StorageThroughput: 500,
  Endpoint: { Port: 5432 },
  DeletionProtection: true,
  IAMDatabaseAuthenticationEnabled: true,
  AutoMinorVersionUpgrade: false,
  CopyTagsToSnapshot: true,
  EnabledCloudwatchLogsExports: ['postgresql'],
  BackupRetentionPeriod: 7,
  PubliclyAccessible: true,
  KmsKeyId: KEY,
  MonitoringInterval: 60,
  MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
  TagList: [
    { Key: 'team', Value: 'platform' },
    { Key: 'aws:cloudformation:stack-name', Value: 'db' },
    { Key: 'runbook:restored-from', Value: 'stale' },
  ],
};

/** What every restore passes, copied from SOURCE, with PubliclyAccessible forced off. */
const COPIED = {
  DBInstanceClass: 'db.r6g.large',
  DBSubnetGroupName: 'prod-db-subnets',
  VpcSecurityGroupIds: ['sg-1', 'sg-2', 'sg-3'],
  DBParameterGroupName: 'prod-postgres15',
  OptionGroupName: 'prod-options',
  MultiAZ: true,
  StorageType: 'gp3',
  Iops: 12000,
  StorageThroughput: 500,
  Port: 5432,
  DeletionProtection: true,
  EnableIAMDatabaseAuthentication: true,
  AutoMinorVersionUpgrade: false,
  CopyTagsToSnapshot: true,
  EnableCloudwatchLogsExports: ['postgresql'],
  BackupRetentionPeriod: 7,
  PubliclyAccessible: false,
  Tags: [
    { Key: 'team', Value: 'platform' },
    { Key: 'runbook:restored-from', Value: 'manual-a' },
    { Key: 'runbook:execution', Value: RUN },
  ],
};

const event = (from: Record<string, unknown>) => ({
  dbInstance: DB,
  target: TARGET,
  from: { snapshotId: null, restoreTime: null, useLatestRestorableTime: false, ...from },
  executionId: RUN,
  tags: [{ Key: 'runbook:restored-from', Value: 'manual-a' }],
});

const targetMissing = () =>
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET })
    .rejects(awsError('DBInstanceNotFoundFault', `DBInstance ${TARGET} not found.`));

describe('restore-instance', () => {
  beforeEach(() => {
    rdsMock.reset();
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB }).resolves({ DBInstances: [SOURCE] });
    rdsMock
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: TARGET, DBInstanceStatus: 'creating' } });
    rdsMock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: TARGET, DBInstanceStatus: 'creating' } });
  });

  it('restores a snapshot passing every setting of the source, never publicly accessible, tagged with the run', async () => {
    targetMissing();
    // When
    const result = await invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients);
    // Then
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: TARGET, DBSnapshotIdentifier: 'manual-a', ...COPIED },
    ]);
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toEqual([]);
    // What a restore cannot take: monitoring (applied afterwards) and the key (checked afterwards)
    expect(result).toEqual({
      target: TARGET,
      kmsKeyId: KEY,
      monitoring: { interval: 60, roleArn: 'arn:aws:iam::123456789012:role/rds-monitoring' },
      status: 'creating',
      adopted: false,
      // Without the step's time given, none is made up
      startedAt: null,
    });
  });

  it('restores to a point in time, or to the latest restorable time, with the same settings', async () => {
    targetMissing();
    await invoke(restoreInstance, event({ restoreTime: '2026-11-30T10:00:00.000Z' }), clients);
    await invoke(restoreInstance, event({ useLatestRestorableTime: true }), clients);
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand).map((c) => c.args[0].input)).toEqual([
      {
        SourceDBInstanceIdentifier: DB,
        TargetDBInstanceIdentifier: TARGET,
        RestoreTime: new Date('2026-11-30T10:00:00.000Z'),
        ...COPIED,
      },
      {
        SourceDBInstanceIdentifier: DB,
        TargetDBInstanceIdentifier: TARGET,
        UseLatestRestorableTime: true,
        ...COPIED,
      },
    ]);
  });

  it('passes IOPS and throughput only for storage that has them, and no monitoring when the source has none', async () => {
    targetMissing();
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB })
      .resolves({ DBInstances: [{ ...SOURCE, StorageType: 'gp2', MonitoringInterval: 0 }] });
    const result = await invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients);
    const sent = rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ StorageType: 'gp2' });
    expect(sent).not.toHaveProperty('Iops');
    expect(sent).not.toHaveProperty('StorageThroughput');
    expect(result.monitoring).toBeNull();
  });

  it('never restores over an instance it did not make: RestoreTargetExists, nothing sent', async () => {
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: TARGET,
          DBInstanceStatus: 'available',
          TagList: [{ Key: 'team', Value: 'x' }],
        },
      ],
    });
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreTargetExists',
      message: `${TARGET} already exists (available) and was not made by this run; nothing was overwritten`,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toEqual([]);
    // Made by another run of this runbook in the same minute: it says which, and what to do
    const other = 'arn:aws:states:us-east-1:123456789012:execution:runbook-db-restore:run-2';
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: TARGET,
          DBInstanceStatus: 'creating',
          TagList: [
            { Key: 'team', Value: 'x' },
            { Key: 'runbook:execution', Value: other },
          ],
        },
      ],
    });
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreTargetExists',
      message: `${TARGET} already exists (creating) and was not made by this run, but by ${other}, started in the same minute: start this one again in a minute if it is still needed; nothing was overwritten`,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toEqual([]);
  });

  it('a retry finds the instance its first attempt made, and does not restore twice', async () => {
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: TARGET,
          DBInstanceStatus: 'creating',
          TagList: [
            { Key: 'team', Value: 'platform' },
            { Key: 'runbook:execution', Value: RUN },
          ],
        },
      ],
    });
    expect(await invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).toMatchObject({
      adopted: true,
      status: 'creating',
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toEqual([]);
  });

  it('names what RDS refused, each as the error the state machine ends with', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ snapshotId: 'manual-a' }, 'DBInstanceAlreadyExistsFault', 'RestoreTargetExists'],
      [{ snapshotId: 'manual-a' }, 'DBSnapshotNotFoundFault', 'SnapshotNotFound'],
      [{ restoreTime: '2026-11-30T10:00:00.000Z' }, 'InvalidRestoreFault', 'RestoreWindowExceeded'],
      [{ snapshotId: 'manual-a' }, 'InvalidRestoreFault', 'RestoreFailed'],
      [{ snapshotId: 'manual-a' }, 'InsufficientDBInstanceCapacityFault', 'RestoreFailed'],
      [{ useLatestRestorableTime: true }, 'KMSKeyNotAccessibleFault', 'RestoreFailed'],
    ];
    for (const [from, rdsError, name] of cases) {
      rdsMock.reset();
      rdsMock
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB })
        .resolves({ DBInstances: [SOURCE] });
      targetMissing();
      rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(awsError(rdsError, 'refused'));
      rdsMock.on(RestoreDBInstanceToPointInTimeCommand).rejects(awsError(rdsError, 'refused'));
      await expect(invoke(restoreInstance, event(from), clients), rdsError).rejects.toMatchObject({
        name,
        message: expect.stringContaining(`(${rdsError}: refused)`),
      });
    }
  });

  it('told the target exists, looks again: its own (a retry RDS did not describe yet) is adopted, else named', async () => {
    const sourceThere = () =>
      rdsMock
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB })
        .resolves({ DBInstances: [SOURCE] });
    const exists = () =>
      rdsMock
        .on(RestoreDBInstanceFromDBSnapshotCommand)
        .rejects(awsError('DBInstanceAlreadyExistsFault', 'DB instance already exists'));
    // Not described before the call, described after it with this run's tag: this run's own
    let describes = 0;
    sourceThere();
    exists();
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET }).callsFake(() => {
      describes++;
      if (describes === 1) throw awsError('DBInstanceNotFoundFault', 'not found');
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: TARGET,
            TagList: [
              { Key: 'team', Value: 'platform' },
              { Key: 'runbook:execution', Value: RUN },
            ],
          },
        ],
      };
    });
    expect(await invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).toMatchObject({
      adopted: true,
      status: null,
    });
    // Someone else's
    rdsMock.reset();
    sourceThere();
    exists();
    describes = 0;
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET }).callsFake(() => {
      describes++;
      if (describes === 1) throw awsError('DBInstanceNotFoundFault', 'not found');
      return {
        DBInstances: [
          { DBInstanceIdentifier: TARGET, TagList: [{ Key: 'runbook:execution', Value: 'other' }] },
        ],
      };
    });
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreTargetExists',
      message: expect.stringContaining('and was not made by this run; nothing was overwritten'),
    });
    // RDS's other spelling of the same refusal, and a target that carries the execution tag of another run
    rdsMock.reset();
    sourceThere();
    rdsMock
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .rejects(awsError('DBInstanceAlreadyExists', 'DB instance already exists'));
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET })
      .resolvesOnce({})
      .resolves({
        DBInstances: [{ DBInstanceIdentifier: TARGET, TagList: [{ Key: 'team', Value: RUN }] }],
      });
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreTargetExists',
    });
    // Still not described: it may be either, and the message says so
    rdsMock.reset();
    sourceThere();
    exists();
    targetMissing();
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreTargetExists',
      message: expect.stringContaining("RDS does not describe it yet: it may be this run's own restore"),
    });
  });

  it('fails with RestoreFailed when the source does not exist, creating nothing', async () => {
    targetMissing();
    rdsMock
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB })
      .rejects(awsError('DBInstanceNotFoundFault', 'not found'));
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: `the source instance ${DB} does not exist; nothing was created`,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toEqual([]);
  });

  it('surfaces throttling as TransientAwsError, for the state machine to retry', async () => {
    targetMissing();
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(throttled());
    await expect(invoke(restoreInstance, event({ snapshotId: 'manual-a' }), clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});
