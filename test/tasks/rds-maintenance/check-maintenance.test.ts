import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TERMINAL_STATES } from '../../../tasks/database/check-db-instance.ts';
import { checkMaintenance } from '../../../tasks/rds-maintenance/check-maintenance.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const DB = 'enterprise-prod-db';
const NOW = '2026-12-06T05:10:00.000Z';
const to = { engineVersion: '15.7', instanceClass: 'db.r6g.large' };
const poll = (more: Record<string, unknown> = {}) =>
  invoke(checkMaintenance, { dbInstance: DB, to, attempt: 0, maxAttempts: 3, now: NOW, ...more }, clients);
const answer = (status: string, version: string, pending: Record<string, string> = {}) =>
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: DB,
        DBInstanceStatus: status,
        EngineVersion: version,
        DBInstanceClass: 'db.r6g.large',
        PendingModifiedValues: pending,
      },
    ],
  });

describe('check-maintenance', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('is done once the instance is available on what was asked, nothing pending', async () => {
    answer('available', '15.7');
    expect(await poll({ seenBusy: true })).toEqual({
      done: true,
      attempt: 1,
      status: 'available',
      runs: to,
      seenBusy: true,
      at: NOW,
    });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: DB },
    ]);
  });

  it('is not done while the change is held for the window, under way, or not described yet', async () => {
    answer('available', '15.4', { EngineVersion: '15.7' });
    expect(await poll()).toMatchObject({ done: false, seenBusy: false, status: 'available' });
    for (const status of ['upgrading', 'modifying', 'rebooting', 'configuring-enhanced-monitoring']) {
      answer(status, '15.4', { EngineVersion: '15.7' });
      expect(await poll()).toMatchObject({ done: false, seenBusy: true, status });
    }
    // The new version described while the instance still reboots is not done yet either.
    answer('rebooting', '15.7');
    expect(await poll({ seenBusy: true })).toMatchObject({ done: false });
    // Available on the new version with something still pending is not done.
    answer('available', '15.7', { DBInstanceClass: 'db.r6g.xlarge' });
    expect(await poll({ seenBusy: true })).toMatchObject({ done: false });
    // Neither the change nor anything pending, before it was seen under way: RDS may lag.
    answer('available', '15.4');
    expect(await poll()).toMatchObject({ done: false, seenBusy: false });
    // Seen under way once is remembered.
    answer('available', '15.4', { EngineVersion: '15.7' });
    expect(await poll({ seenBusy: true })).toMatchObject({ seenBusy: true });
  });

  it('fails on available again without the change, once it was under way', async () => {
    answer('available', '15.4');
    await expect(poll({ seenBusy: true })).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `${DB} is available again on 15.4 on db.r6g.large with nothing pending, after the change was under way: RDS did not apply 15.7 on class db.r6g.large`,
    });
  });

  it.each([...TERMINAL_STATES])('fails at once on %s', async (status) => {
    answer(status, '15.4');
    await expect(poll({ seenBusy: true })).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `${DB} is ${status} (running 15.4 on db.r6g.large, 15.7 on class db.r6g.large asked): RDS will not make it available`,
    });
  });

  it('fails when its budget is spent, saying what it last saw', async () => {
    answer('available', '15.4', { EngineVersion: '15.7' });
    expect(await poll({ attempt: 1 })).toMatchObject({ done: false, attempt: 2 });
    await expect(poll({ attempt: 2 })).rejects.toMatchObject({
      name: 'MaintenanceFailed',
      message: `${DB} was still available with a change pending (RDS may still apply it later, with nobody watching) (running 15.4 on db.r6g.large, 15.7 on class db.r6g.large asked) after 3 polls`,
    });
    answer('upgrading', '15.4');
    await expect(poll({ attempt: 2 })).rejects.toMatchObject({
      message: `${DB} was still upgrading (running 15.4 on db.r6g.large, 15.7 on class db.r6g.large asked) after 3 polls`,
    });
  });

  it('checks only what was asked: RDS may change the rest meanwhile (its own minor upgrades)', async () => {
    answer('available', '15.5');
    expect(
      await poll({ to: { engineVersion: null, instanceClass: 'db.r6g.large' }, seenBusy: true }),
    ).toMatchObject({
      done: true,
    });
    answer('available', '15.4');
    await expect(
      poll({ to: { engineVersion: '15.7', instanceClass: null }, seenBusy: true }),
    ).rejects.toMatchObject({ message: expect.stringContaining('RDS did not apply 15.7') });
  });

  it('checks the class asked for, and words what was asked', async () => {
    answer('available', '15.7');
    // Asked a class it does not run yet: not done while under way
    expect(
      await poll({ to: { engineVersion: null, instanceClass: 'db.r6g.xlarge' }, seenBusy: false }),
    ).toMatchObject({ done: false });
    await expect(
      poll({ to: { engineVersion: null, instanceClass: 'db.r6g.xlarge' }, seenBusy: true }),
    ).rejects.toMatchObject({
      message: `${DB} is available again on 15.7 on db.r6g.large with nothing pending, after the change was under way: RDS did not apply class db.r6g.xlarge`,
    });
    // Under way without the change and nothing pending, after being seen busy: still under way, not a failure
    answer('upgrading', '15.4');
    expect(await poll({ seenBusy: true })).toMatchObject({ done: false, status: 'upgrading' });
  });

  it('fails when RDS describes no instance, and surfaces throttling as transient', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    await expect(poll()).rejects.toMatchObject({ name: 'MaintenanceFailed' });
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());
    await expect(poll()).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
