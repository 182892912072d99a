import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeInstance, pendingChanges } from '../../../tasks/database/describe-instance.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const { rds } = testClients();
const DB = 'enterprise-prod-db';

describe('describe-instance', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('describes one instance by its identifier, or null when RDS knows none', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: DB }] });
    expect(await describeInstance(rds, DB)).toEqual({ DBInstanceIdentifier: DB });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: DB },
    ]);
    rdsMock.on(DescribeDBInstancesCommand).resolves({});
    expect(await describeInstance(rds, DB)).toBeNull();
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 'not found'));
    expect(await describeInstance(rds, DB)).toBeNull();
  });

  it('throws any other error: throttling as transient, naming the call', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());
    await expect(describeInstance(rds, DB)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('RDS DescribeDBInstances'),
    });
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('AccessDenied', 'no'));
    await expect(describeInstance(rds, DB)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('lists what waits for the window, and only what does', () => {
    expect(pendingChanges({})).toEqual([]);
    expect(
      pendingChanges({
        PendingModifiedValues: {
          DBInstanceClass: 'db.r6g.xlarge',
          MultiAZ: false,
          AllocatedStorage: undefined,
          PendingCloudwatchLogsExports: {},
          ProcessorFeatures: [],
          Iops: null as unknown as number,
        },
      }),
    ).toEqual(['DBInstanceClass "db.r6g.xlarge"', 'MultiAZ false']);
    expect(
      pendingChanges({ PendingModifiedValues: { ProcessorFeatures: [{ Name: 'coreCount', Value: '4' }] } }),
    ).toEqual(['ProcessorFeatures [{"Name":"coreCount","Value":"4"}]']);
  });
});
