import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { modifyInstance } from '../../../tasks/database/modify-instance.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const FROM = 'enterprise-prod-db';
const TO = 'enterprise-prod-db-pre-restore-202612011000';
const ROLE = 'arn:aws:iam::123456789012:role/rds-monitoring-role';
const present = (id: string, status = 'available', more: Record<string, unknown> = {}) =>
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id })
    .resolves({ DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: status, ...more }] });
const absent = (id: string) =>
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id })
    .rejects(awsError('DBInstanceNotFoundFault', `DBInstance ${id} not found.`));
const NOW = '2026-12-01T10:30:00.000Z';
const rename = { dbInstance: FROM, change: { rename: TO }, now: NOW };
const monitoring = { dbInstance: FROM, change: { monitoring: { interval: 60, roleArn: ROLE } } };
const modifications = () => rdsMock.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input);

describe('modify-instance: a rename', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('renames at once (ApplyImmediately), as one ModifyDBInstance', async () => {
    present(FROM);
    rdsMock
      .on(ModifyDBInstanceCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: TO, DBInstanceStatus: 'renaming' } });
    expect(await invoke(modifyInstance, rename, clients)).toEqual({
      dbInstance: TO,
      change: `renamed from ${FROM}`,
      status: 'renaming',
      already: false,
      at: NOW,
    });
    expect(modifications()).toEqual([
      { DBInstanceIdentifier: FROM, NewDBInstanceIdentifier: TO, ApplyImmediately: true },
    ]);
  });

  it('a retry after the rename went through does not rename again', async () => {
    absent(FROM);
    present(TO, 'renaming');
    expect(await invoke(modifyInstance, rename, clients)).toEqual({
      dbInstance: TO,
      change: `renamed from ${FROM}`,
      status: 'renaming',
      already: true,
      at: NOW,
    });
    expect(modifications()).toEqual([]);
  });

  it('fails with CutoverFailed when neither exists, or RDS refuses', async () => {
    absent(FROM);
    absent(TO);
    await expect(invoke(modifyInstance, rename, clients)).rejects.toMatchObject({
      name: 'CutoverFailed',
      message: `neither ${FROM} nor ${TO} exists: nothing to rename`,
    });
    for (const refusal of ['DBInstanceAlreadyExistsFault', 'InvalidDBInstanceStateFault']) {
      rdsMock.reset();
      present(FROM);
      rdsMock.on(ModifyDBInstanceCommand).rejects(awsError(refusal, 'no'));
      await expect(invoke(modifyInstance, rename, clients)).rejects.toMatchObject({
        name: 'CutoverFailed',
        message: `RDS refused to rename ${FROM} to ${TO} (${refusal}: no)`,
      });
    }
  });

  it('surfaces an error describing the instance, other than not found, as it is', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('AccessDenied', 'no'));
    await expect(invoke(modifyInstance, rename, clients)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(modifications()).toEqual([]);
  });

  it('reads a status RDS does not give as null', async () => {
    present(FROM);
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    expect(await invoke(modifyInstance, rename, clients)).toMatchObject({ status: null });
    rdsMock.reset();
    present(FROM, 'available', { MonitoringInterval: 0 });
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    expect(await invoke(modifyInstance, monitoring, clients)).toMatchObject({ status: null });
  });

  it('surfaces throttling as TransientAwsError, for the state machine to retry', async () => {
    present(FROM);
    rdsMock.on(ModifyDBInstanceCommand).rejects(throttled());
    await expect(invoke(modifyInstance, rename, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('modify-instance: Enhanced Monitoring', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it("gives the instance the source's interval and role, at once", async () => {
    present(FROM, 'available', { MonitoringInterval: 0 });
    rdsMock
      .on(ModifyDBInstanceCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: FROM, DBInstanceStatus: 'modifying' } });
    expect(await invoke(modifyInstance, monitoring, clients)).toEqual({
      dbInstance: FROM,
      change: `Enhanced Monitoring every 60 s with ${ROLE}`,
      status: 'modifying',
      already: false,
      at: null,
    });
    expect(modifications()).toEqual([
      { DBInstanceIdentifier: FROM, MonitoringInterval: 60, MonitoringRoleArn: ROLE, ApplyImmediately: true },
    ]);
  });

  it('does not modify an instance that has them already (a retry)', async () => {
    present(FROM, 'modifying', { MonitoringInterval: 60, MonitoringRoleArn: ROLE });
    expect(await invoke(modifyInstance, monitoring, clients)).toMatchObject({
      already: true,
      status: 'modifying',
    });
    expect(modifications()).toEqual([]);
  });

  it('modifies one that has the interval with another role, or the role with another interval', async () => {
    for (const more of [
      { MonitoringInterval: 60, MonitoringRoleArn: `${ROLE}-other` },
      { MonitoringInterval: 30, MonitoringRoleArn: ROLE },
    ]) {
      rdsMock.reset();
      present(FROM, 'available', more);
      rdsMock.on(ModifyDBInstanceCommand).resolves({ DBInstance: { DBInstanceStatus: 'modifying' } });
      expect(await invoke(modifyInstance, monitoring, clients)).toMatchObject({ already: false });
      expect(modifications()).toHaveLength(1);
    }
  });

  it('fails with RestoreFailed when the instance is gone or RDS refuses; throttling is transient', async () => {
    absent(FROM);
    await expect(invoke(modifyInstance, monitoring, clients)).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: `${FROM} does not exist: cannot give it Enhanced Monitoring every 60 s with ${ROLE}`,
    });
    rdsMock.reset();
    present(FROM);
    rdsMock.on(ModifyDBInstanceCommand).rejects(awsError('InvalidParameterCombination', 'bad role'));
    await expect(invoke(modifyInstance, monitoring, clients)).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: `RDS refused Enhanced Monitoring every 60 s with ${ROLE} on ${FROM} (InvalidParameterCombination: bad role); the restored instance is kept, nothing was switched`,
    });
    rdsMock.reset();
    present(FROM);
    rdsMock.on(ModifyDBInstanceCommand).rejects(throttled());
    await expect(invoke(modifyInstance, monitoring, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });

  it('refuses a change that is neither, or both', async () => {
    for (const change of [{}, { rename: TO, monitoring: monitoring.change.monitoring }, { rename: '' }])
      await expect(invoke(modifyInstance, { dbInstance: FROM, change }, clients)).rejects.toMatchObject({
        name: 'InvalidInput',
      });
    expect(rdsMock.calls()).toEqual([]);
  });
});

describe('modify-instance: maintenance', () => {
  const at15 = { EngineVersion: '15.4', DBInstanceClass: 'db.r6g.large' };
  const maintenance = (change: Record<string, unknown>) => ({
    dbInstance: FROM,
    change: { maintenance: { engineVersion: null, instanceClass: null, ...change } },
    now: NOW,
  });
  beforeEach(() => {
    rdsMock.reset();
  });

  it('asks for the version at once, without allowing a major upgrade', async () => {
    present(FROM, 'available', at15);
    rdsMock
      .on(ModifyDBInstanceCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: FROM, DBInstanceStatus: 'upgrading' } });
    expect(await invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients)).toEqual({
      dbInstance: FROM,
      change: 'engine version 15.7, at once',
      status: 'upgrading',
      already: false,
      at: NOW,
    });
    expect(modifications()).toEqual([
      { DBInstanceIdentifier: FROM, EngineVersion: '15.7', ApplyImmediately: true },
    ]);
  });

  it('asks only for what differs', async () => {
    present(FROM, 'available', at15);
    rdsMock.on(ModifyDBInstanceCommand).resolves({ DBInstance: { DBInstanceStatus: 'modifying' } });
    const change = maintenance({ instanceClass: 'db.r6g.xlarge', engineVersion: '15.4' });
    expect(await invoke(modifyInstance, change, clients)).toMatchObject({
      change: 'engine version 15.4 and class db.r6g.xlarge, at once',
      already: false,
    });
    expect(modifications()).toEqual([
      { DBInstanceIdentifier: FROM, DBInstanceClass: 'db.r6g.xlarge', ApplyImmediately: true },
    ]);
  });

  it('asks for the class alone, or the version alone, never the other as well', async () => {
    for (const [change, command] of [
      [{ instanceClass: 'db.r6g.xlarge' }, { DBInstanceClass: 'db.r6g.xlarge' }],
      [{ engineVersion: '15.5' }, { EngineVersion: '15.5' }],
    ] as const) {
      rdsMock.reset();
      present(FROM, 'available', at15);
      rdsMock.on(ModifyDBInstanceCommand).resolves({});
      // RDS answering without the instance: its status is not known
      expect(await invoke(modifyInstance, maintenance(change), clients)).toMatchObject({
        status: null,
        already: false,
      });
      expect(modifications()).toEqual([{ DBInstanceIdentifier: FROM, ...command, ApplyImmediately: true }]);
    }
  });

  it('a retry finds RDS applying the change (nothing shown pending), or the change made, and does not ask again', async () => {
    const retry = (change: Record<string, unknown>) => ({ ...maintenance(change), retryCount: 1 });
    for (const [status, more] of [
      ['upgrading', {}],
      ['modifying', {}],
      ['rebooting', {}],
      ['available', { EngineVersion: '15.7' }],
    ] as const) {
      rdsMock.reset();
      present(FROM, status, { ...at15, ...more });
      expect(await invoke(modifyInstance, retry({ engineVersion: '15.7' }), clients)).toMatchObject({
        status,
        already: true,
      });
      expect(modifications()).toEqual([]);
    }
    // Refused on a retry while RDS already describes the change under way (the first call went through): taken
    const underWayAfterFirst = () => {
      let describes = 0;
      rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: FROM }).callsFake(() => {
        describes++;
        return {
          DBInstances: [
            {
              DBInstanceIdentifier: FROM,
              ...at15,
              DBInstanceStatus: describes === 1 ? 'available' : 'upgrading',
            },
          ],
        };
      });
      rdsMock.on(ModifyDBInstanceCommand).rejects(awsError('InvalidDBInstanceStateFault', 'not available'));
    };
    rdsMock.reset();
    underWayAfterFirst();
    expect(await invoke(modifyInstance, retry({ engineVersion: '15.7' }), clients)).toMatchObject({
      already: true,
      status: null,
    });
    // The same on a first attempt is someone else's change: RDS's refusal stands, nothing changed
    rdsMock.reset();
    underWayAfterFirst();
    await expect(
      invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients),
    ).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: expect.stringContaining('nothing was changed'),
    });
  });

  it('on a first attempt, a change under way is not taken for its own: RDS is asked, and answers', async () => {
    for (const status of ['upgrading', 'backing-up']) {
      rdsMock.reset();
      present(FROM, status, at15);
      rdsMock
        .on(ModifyDBInstanceCommand)
        .rejects(awsError('InvalidDBInstanceStateFault', `Instance is ${status}`));
      await expect(
        invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients),
      ).rejects.toMatchObject({
        name: 'MaintenanceFailed',
        message: `RDS refused engine version 15.7 on ${FROM} (InvalidDBInstanceStateFault: Instance is ${status}); nothing was changed`,
      });
      expect(modifications()).toHaveLength(1);
    }
  });

  it('refuses, nothing changed, when changes wait for the window since the run checked: applying would apply them', async () => {
    present(FROM, 'available', { ...at15, PendingModifiedValues: { MultiAZ: false, AllocatedStorage: 800 } });
    await expect(
      invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients),
    ).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `${FROM} has changes waiting for its maintenance window since the run checked it (MultiAZ false, AllocatedStorage 800), which applying this one would apply too, unapproved; nothing was changed`,
    });
    expect(modifications()).toEqual([]);
  });

  it('fails with MaintenanceFailed, nothing changed, when the instance is gone or RDS refuses', async () => {
    absent(FROM);
    await expect(
      invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients),
    ).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `${FROM} does not exist: nothing was changed`,
    });
    rdsMock.reset();
    present(FROM, 'available', at15);
    rdsMock.on(ModifyDBInstanceCommand).rejects(awsError('InvalidParameterCombination', 'no such class'));
    await expect(
      invoke(modifyInstance, maintenance({ engineVersion: '15.7', instanceClass: 'db.x9.huge' }), clients),
    ).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `RDS refused engine version 15.7 and class db.x9.huge on ${FROM} (InvalidParameterCombination: no such class); nothing was changed`,
    });
    rdsMock.reset();
    present(FROM, 'available', at15);
    rdsMock.on(ModifyDBInstanceCommand).rejects(throttled());
    await expect(
      invoke(modifyInstance, maintenance({ engineVersion: '15.7' }), clients),
    ).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining(`RDS ModifyDBInstance of ${FROM}`),
    });
    // Throttled is retried as it is: RDS is not asked again what it holds
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });
});
