import { DescribeDBEngineVersionsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkUpgradeTarget } from '../../../tasks/rds-maintenance/check-upgrade-target.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const DB = 'enterprise-prod-db';
const instance = () =>
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: DB,
        Engine: 'postgres',
        EngineVersion: '15.4',
        DBInstanceClass: 'db.r6g.large',
        PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      },
    ],
  });
const targets = () =>
  rdsMock.on(DescribeDBEngineVersionsCommand).resolves({
    DBEngineVersions: [
      {
        Engine: 'postgres',
        EngineVersion: '15.4',
        ValidUpgradeTarget: [
          { EngineVersion: '15.5', IsMajorVersionUpgrade: false },
          { EngineVersion: '15.7', IsMajorVersionUpgrade: false },
          { EngineVersion: '16.3', IsMajorVersionUpgrade: true },
        ],
      },
    ],
  });
const check = (engineVersion: string | null, instanceClass: string | null, apply: 'now' | 'window' = 'now') =>
  invoke(checkUpgradeTarget, { dbInstance: DB, engineVersion, instanceClass, apply }, clients);
const withInstance = (more: Record<string, unknown>) =>
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: DB,
        Engine: 'postgres',
        EngineVersion: '15.4',
        DBInstanceClass: 'db.r6g.large',
        PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
        ...more,
      },
    ],
  });

describe('check-upgrade-target', () => {
  beforeEach(() => {
    rdsMock.reset();
    instance();
    targets();
  });

  it("accepts a minor upgrade target of the instance's version, asking RDS for its own list", async () => {
    expect(await check('15.7', null)).toEqual({
      engine: 'postgres',
      from: { engineVersion: '15.4', instanceClass: 'db.r6g.large' },
      to: { engineVersion: '15.7', instanceClass: 'db.r6g.large' },
      maintenanceWindow: 'sun:05:00-sun:06:00',
      change: 'postgres 15.4 on db.r6g.large -> 15.7 on db.r6g.large, now',
    });
    expect(rdsMock.commandCalls(DescribeDBEngineVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Engine: 'postgres', EngineVersion: '15.4', IncludeAll: true },
    ]);
  });

  it('accepts a class change without asking for versions, and both at once', async () => {
    expect(await check(null, 'db.r6g.xlarge')).toMatchObject({
      to: { engineVersion: '15.4', instanceClass: 'db.r6g.xlarge' },
    });
    expect(rdsMock.commandCalls(DescribeDBEngineVersionsCommand)).toEqual([]);
    expect(await check('15.5', 'db.r6g.xlarge')).toMatchObject({
      to: { engineVersion: '15.5', instanceClass: 'db.r6g.xlarge' },
    });
  });

  it.each([
    [
      '14.9',
      null,
      'engineVersion: 14.9 is not a valid upgrade target of postgres 15.4 (minor targets: 15.5, 15.7)',
    ],
    [
      '16.3',
      null,
      'engineVersion: 16.3 is a major upgrade of 15.4; this procedure makes minor upgrades only',
    ],
    [null, 'large', 'instanceClass: large is not a DB instance class'],
    ['15.4', 'db.r6g.large', `${DB} already runs postgres 15.4 on db.r6g.large: nothing to change`],
    [null, null, 'nothing to change'],
  ])('refuses engineVersion %s, instanceClass %s as InvalidInput, naming why', async (version, cls, why) => {
    await expect(check(version, cls)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(why),
    });
  });

  it('names both problems at once, and says nothing was changed', async () => {
    await expect(check('14.9', 'huge')).rejects.toMatchObject({
      message: expect.stringMatching(/^engineVersion: .*; instanceClass: huge .*; nothing was changed$/),
    });
  });

  it('takes a change for the window only of an instance with a window', async () => {
    expect(await check(null, 'db.r6g.xlarge', 'window')).toMatchObject({
      maintenanceWindow: 'sun:05:00-sun:06:00',
      change:
        'postgres 15.4 on db.r6g.large -> 15.4 on db.r6g.xlarge, in the maintenance window (sun:05:00-sun:06:00 UTC)',
    });
    withInstance({ PreferredMaintenanceWindow: undefined });
    await expect(check(null, 'db.r6g.xlarge', 'window')).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `apply: ${DB} has no maintenance window RDS describes (none); nothing was changed`,
    });
    expect(await check(null, 'db.r6g.xlarge', 'now')).toMatchObject({ maintenanceWindow: null });
  });

  it('refuses while other changes wait for the window: applying this one would apply them, unapproved', async () => {
    withInstance({
      PendingModifiedValues: { AllocatedStorage: 800, PendingCloudwatchLogsExports: {}, MultiAZ: true },
    });
    await expect(check('15.7', null)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `${DB} has changes waiting for its maintenance window (AllocatedStorage 800, MultiAZ true), which applying this one would apply too; apply or undo them first; nothing was changed`,
    });
    // Nothing pending (an empty object among them) is nothing
    withInstance({ PendingModifiedValues: { PendingCloudwatchLogsExports: {}, ProcessorFeatures: [] } });
    expect(await check('15.7', null)).toMatchObject({ to: { engineVersion: '15.7' } });
  });

  it('accepts the classes of every family RDS names, with more than three parts, and nothing around them', async () => {
    expect(await check(null, 'db.r5.2xlarge.tpc2.mem4x')).toMatchObject({
      to: { instanceClass: 'db.r5.2xlarge.tpc2.mem4x' },
    });
    for (const bad of ['xdb.r6g.large', 'db.r6g.large!', 'db.r6g'])
      await expect(check(null, bad), bad).rejects.toMatchObject({
        message: expect.stringContaining(`instanceClass: ${bad} is not a DB instance class`),
      });
  });

  it('says when there is no minor target at all', async () => {
    rdsMock.on(DescribeDBEngineVersionsCommand).resolves({
      DBEngineVersions: [
        {
          EngineVersion: '15.4',
          ValidUpgradeTarget: [{ EngineVersion: '16.3', IsMajorVersionUpgrade: true }],
        },
      ],
    });
    await expect(check('16.3', null)).rejects.toMatchObject({
      message: expect.stringContaining('minor upgrades only (minor targets: none)'),
    });
    rdsMock.on(DescribeDBEngineVersionsCommand).resolves({});
    await expect(check('15.7', null)).rejects.toMatchObject({
      message: expect.stringContaining(
        'is not a valid upgrade target of postgres 15.4 (minor targets: none)',
      ),
    });
  });

  it.each([
    ['Engine', { Engine: undefined }],
    ['EngineVersion', { EngineVersion: undefined }],
    ['DBInstanceClass', { DBInstanceClass: undefined }],
  ])('refuses an instance RDS describes without its %s', async (_field, more) => {
    withInstance(more);
    await expect(check('15.7', null)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `${DB} is not described by RDS with its engine, version and class; nothing was changed`,
    });
  });

  it('refuses an instance RDS describes without its engine, and surfaces throttling as transient', async () => {
    rdsMock.reset();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: DB }] });
    await expect(check('15.5', null)).rejects.toMatchObject({ name: 'InvalidInput' });
    rdsMock.reset();
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());
    await expect(check('15.5', null)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
