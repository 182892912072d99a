// Restores the source instance's data to a new instance, never over an identifier that exists. A
// restore otherwise resets most settings to RDS's defaults (the default security group and
// parameter group, Single-AZ, no deletion protection, and publicly accessible where the subnet
// group allows it), so every setting the restore API takes is read from the source and passed
// explicitly, and PubliclyAccessible is always false. Two settings are not parameters of a
// restore: the KMS key (the restored instance keeps the snapshot's, which the verification checks)
// and Enhanced Monitoring (returned here, for the ModifyDBInstance that follows once it is available).
import {
  type DBInstance,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import {
  aws,
  RestoreFailed,
  RestoreTargetExists,
  RestoreWindowExceeded,
  SnapshotNotFound,
} from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { describeInstance } from './describe-instance.ts';

/** The tag that names the run which made an instance: a retried restore finds its own by it. */
export const EXECUTION_TAG = 'runbook:execution';

/** The settings a restore takes, as the source has them (everything a restore would otherwise default). */
export function settingsOf(source: DBInstance) {
  const storageType = source.StorageType;
  return {
    DBInstanceClass: source.DBInstanceClass,
    DBSubnetGroupName: source.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: (source.VpcSecurityGroups ?? []).flatMap((g) =>
      g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
    ),
    DBParameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: source.OptionGroupMemberships?.[0]?.OptionGroupName,
    MultiAZ: source.MultiAZ,
    StorageType: storageType,
    // Provisioned IOPS and throughput are parameters only of the storage types that have them.
    ...(storageType && ['io1', 'io2', 'gp3'].includes(storageType) && { Iops: source.Iops }),
    ...(storageType === 'gp3' && { StorageThroughput: source.StorageThroughput }),
    Port: source.Endpoint?.Port,
    DeletionProtection: source.DeletionProtection,
    EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
    AutoMinorVersionUpgrade: source.AutoMinorVersionUpgrade,
    CopyTagsToSnapshot: source.CopyTagsToSnapshot,
    EnableCloudwatchLogsExports: source.EnabledCloudwatchLogsExports,
    BackupRetentionPeriod: source.BackupRetentionPeriod,
    PubliclyAccessible: false,
  };
}

export const restoreInstance = defineWorker({
  name: 'restore-instance',
  entry: import.meta.url,
  actions: [
    'rds:DescribeDBInstances',
    'rds:RestoreDBInstanceFromDBSnapshot',
    'rds:RestoreDBInstanceToPointInTime',
    'rds:AddTagsToResource',
  ],
  input: z.object({
    dbInstance: z.string().min(1),
    target: z.string().min(1).max(63),
    from: z.object({
      snapshotId: z.string().min(1).nullable(),
      restoreTime: z.string().min(1).nullable(),
      useLatestRestorableTime: z.boolean(),
    }),
    executionId: z.string().min(1),
    /** Tags of the run's own, besides the source's and the execution's (e.g. runbook:restored-from). */
    tags: z.array(z.object({ Key: z.string().min(1), Value: z.string() })).default([]),
    /** When the step runs ($$.State.EnteredTime), echoed as startedAt for the run's figures. */
    now: z.string().min(1).nullable().default(null),
  }),
  run: async ({ dbInstance, target, from, executionId, tags, now }, { rds }) => {
    const existing = await describeInstance(rds, target);
    const ours = existing?.TagList?.some((t) => t.Key === EXECUTION_TAG && t.Value === executionId);
    if (existing && !ours) {
      // Another run of this runbook started in the same minute names its restore the same.
      const other = existing.TagList?.find((t) => t.Key === EXECUTION_TAG)?.Value;
      throw new RestoreTargetExists(
        `${target} already exists (${existing.DBInstanceStatus ?? 'unknown status'}) and was not made by this run${other ? `, but by ${other}, started in the same minute: start this one again in a minute if it is still needed` : ''}; nothing was overwritten`,
      );
    }
    const source = await describeInstance(rds, dbInstance);
    if (!source)
      throw new RestoreFailed(`the source instance ${dbInstance} does not exist; nothing was created`);
    const monitoring =
      (source.MonitoringInterval ?? 0) > 0 && source.MonitoringRoleArn
        ? { interval: source.MonitoringInterval ?? 0, roleArn: source.MonitoringRoleArn }
        : null;
    const result = {
      target,
      kmsKeyId: source.KmsKeyId ?? null,
      monitoring,
      startedAt: now,
    };
    // A retry after a restore that went through: the instance is this run's, and is not made twice.
    if (existing) return { ...result, status: existing.DBInstanceStatus ?? null, adopted: true };

    const own = new Set([EXECUTION_TAG, ...tags.map((t) => t.Key)]);
    const Tags: Tag[] = [
      // aws: tags are RDS's own and cannot be given; the run's replace the source's of the same key.
      ...(source.TagList ?? []).filter((t) => t.Key && !t.Key.startsWith('aws:') && !own.has(t.Key)),
      ...tags,
      { Key: EXECUTION_TAG, Value: executionId },
    ];
    const settings = { ...settingsOf(source), Tags };
    const created = await aws(`RDS restore of ${dbInstance} to ${target}`, () =>
      from.snapshotId !== null
        ? rds.send(
            new RestoreDBInstanceFromDBSnapshotCommand({
              DBInstanceIdentifier: target,
              DBSnapshotIdentifier: from.snapshotId,
              ...settings,
            }),
          )
        : rds.send(
            new RestoreDBInstanceToPointInTimeCommand({
              SourceDBInstanceIdentifier: dbInstance,
              TargetDBInstanceIdentifier: target,
              ...(from.useLatestRestorableTime
                ? { UseLatestRestorableTime: true }
                : { RestoreTime: new Date(String(from.restoreTime)) }),
              ...settings,
            }),
          ),
    ).catch(async (error: Error) => {
      const why = `${error.name}: ${error.message}`;
      if (error.name === 'DBInstanceAlreadyExistsFault' || error.name === 'DBInstanceAlreadyExists') {
        // A retry whose first attempt went through, before RDS described what it made: adopt it.
        const now = await describeInstance(rds, target);
        if (now?.TagList?.some((t) => t.Key === EXECUTION_TAG && t.Value === executionId)) return null;
        throw new RestoreTargetExists(
          now
            ? `${target} already exists (${why}) and was not made by this run; nothing was overwritten`
            : `${target} already exists (${why}), and RDS does not describe it yet: it may be this run's own restore from an earlier attempt (tagged ${EXECUTION_TAG}), or another's; nothing was overwritten`,
        );
      }
      if (error.name === 'DBSnapshotNotFoundFault')
        throw new SnapshotNotFound(
          `snapshot ${from.snapshotId} does not exist (${why}); nothing was created`,
        );
      if (
        from.snapshotId === null &&
        (error.name === 'InvalidRestoreFault' || error.name === 'PointInTimeRestoreNotEnabledFault')
      )
        throw new RestoreWindowExceeded(
          `${dbInstance} cannot be restored to that time (${why}); nothing was created`,
        );
      if (error.name === 'TransientAwsError') throw error;
      throw new RestoreFailed(
        `RDS refused the restore of ${dbInstance} to ${target} (${why}); nothing was created`,
      );
    });
    if (created === null) return { ...result, status: null, adopted: true };
    return { ...result, status: created.DBInstance?.DBInstanceStatus ?? null, adopted: false };
  },
  summarize: (r) =>
    r.adopted
      ? `${r.target} was already made by this run (${r.status})`
      : `restoring into ${r.target} (${r.status})`,
});

export const handler = lambdaHandler(restoreInstance);
