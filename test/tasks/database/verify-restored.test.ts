import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifyRestored } from '../../../tasks/database/verify-restored.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const SOURCE_ID = 'enterprise-prod-db';
const RESTORED_ID = 'enterprise-prod-db-restore-202612011000';

const SOURCE = {
  DBInstanceIdentifier: SOURCE_ID,
  Engine: 'postgres',
  EngineVersion: '15.4',
  DBInstanceClass: 'db.r6g.large',
  DBSubnetGroup: { DBSubnetGroupName: 'prod-db-subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }, { VpcSecurityGroupId: 'sg-2' }],
  DBParameterGroups: [{ DBParameterGroupName: 'prod-postgres15', ParameterApplyStatus: 'in-sync' }],
  OptionGroupMemberships: [{ OptionGroupName: 'prod-options' }],
  MultiAZ: true,
  StorageType: 'gp3',
  Iops: 12000,
  StorageThroughput: 500,
  Endpoint: { Address: `${SOURCE_ID}.rds`, Port: 5432 },
  DeletionProtection: true,
  IAMDatabaseAuthenticationEnabled: true,
  StorageEncrypted: true,
  KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1',
  MonitoringInterval: 60,
  PubliclyAccessible: false,
  BackupRetentionPeriod: 7,
};
const RESTORED = {
  ...SOURCE,
  DBInstanceIdentifier: RESTORED_ID,
  // The same groups, in another order
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-2' }, { VpcSecurityGroupId: 'sg-1' }],
  Endpoint: { Address: `${RESTORED_ID}.rds`, Port: 5432 },
};
const answer = (restored: Record<string, unknown>) => {
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: SOURCE_ID })
    .resolves({ DBInstances: [SOURCE] });
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: RESTORED_ID })
    .resolves({ DBInstances: [restored] });
};
const NOW = '2026-12-01T10:30:00.000Z';
const verify = () => invoke(verifyRestored, { source: SOURCE_ID, restored: RESTORED_ID, now: NOW }, clients);

describe('verify-restored', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('passes a restored instance with every setting of its source', async () => {
    answer(RESTORED);
    expect(await verify()).toEqual({
      restored: RESTORED_ID,
      endpoint: `${RESTORED_ID}.rds`,
      engineVersion: '15.4',
      verifiedAt: NOW,
    });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: SOURCE_ID },
      { DBInstanceIdentifier: RESTORED_ID },
    ]);
  });

  it('names each difference, and keeps the restored instance', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ EngineVersion: '15.5' }, 'EngineVersion: source "15.4", restored "15.5"'],
      [{ DBInstanceClass: 'db.t3.micro' }, 'DBInstanceClass: source "db.r6g.large", restored "db.t3.micro"'],
      [
        { VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-default' }] },
        'VpcSecurityGroupIds: source ["sg-1","sg-2"], restored ["sg-default"]',
      ],
      [
        { DBSubnetGroup: { DBSubnetGroupName: 'default' } },
        'DBSubnetGroupName: source "prod-db-subnets", restored "default"',
      ],
      [{ PubliclyAccessible: true }, 'PubliclyAccessible: source false, restored true'],
      [{ KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/other' }, 'KmsKeyId: source'],
      [{ StorageEncrypted: false }, 'StorageEncrypted: source true, restored false'],
      [{ MultiAZ: false }, 'MultiAZ: source true, restored false'],
      [{ MonitoringInterval: 0 }, 'MonitoringInterval: source 60, restored 0'],
      [{ DeletionProtection: false }, 'DeletionProtection: source true, restored false'],
      [
        {
          DBParameterGroups: [
            { DBParameterGroupName: 'default.postgres15', ParameterApplyStatus: 'in-sync' },
          ],
        },
        'DBParameterGroupName: source "prod-postgres15", restored "default.postgres15"',
      ],
      [
        {
          DBParameterGroups: [
            { DBParameterGroupName: 'prod-postgres15', ParameterApplyStatus: 'pending-reboot' },
          ],
        },
        'parameter group not applied: "pending-reboot" (in-sync expected)',
      ],
    ];
    for (const [change, words] of cases) {
      rdsMock.reset();
      answer({ ...RESTORED, ...change });
      await expect(verify(), words).rejects.toMatchObject({
        name: 'RestoreFailed',
        message: expect.stringContaining(words),
      });
    }
    await expect(verify()).rejects.toMatchObject({
      message: expect.stringMatching(/; the restored instance is kept, nothing was switched$/),
    });
  });

  it('surfaces throttling as TransientAwsError, for the state machine to retry', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());
    await expect(verify()).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
