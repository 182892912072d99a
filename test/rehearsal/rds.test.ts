// The simulated RDS keeps RDS's manual snapshot quota, answers DescribeDBSnapshots in pages with
// each snapshot's tags, and deletes only an available (or failed) snapshot.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';
import type { RdsFaults } from '../../rehearsal/account/rds.ts';

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
    expect(() =>
      rds.createDBSnapshot({
        DBInstanceIdentifier: 'enterprise-prod-db',
        DBSnapshotIdentifier: 'pre-deploy-y',
      }),
    ).toThrow(expect.objectContaining({ name: 'SnapshotQuotaExceededFault' }));
  });

  it('lists a database’s snapshots in pages, with their tags, and none when asked for automated ones', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(30) });
    const first = rds.describeDBSnapshots({ DBInstanceIdentifier: 'enterprise-prod-db', MaxRecords: 20 });
    expect(first.DBSnapshots).toHaveLength(20);
    expect(first.DBSnapshots[0]?.TagList).toEqual([{ Key: 'owner', Value: 'dba' }]);
    const rest = rds.describeDBSnapshots({
      DBInstanceIdentifier: 'enterprise-prod-db',
      MaxRecords: 20,
      Marker: first.Marker,
    });
    expect(rest.DBSnapshots).toHaveLength(10);
    expect(rest.Marker).toBeUndefined();
    expect(
      rds.describeDBSnapshots({ DBInstanceIdentifier: 'enterprise-prod-db', SnapshotType: 'automated' })
        .DBSnapshots,
    ).toEqual([]);
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

  it('tells IAM a snapshot’s tags, and none of one that does not exist', () => {
    const rds = rdsWith({ earlierSnapshots: () => byHand(1) });
    expect(rds.tagsOf('BY-HAND-0')).toEqual({ owner: 'dba' });
    expect(rds.tagsOf('nothing')).toEqual({});
  });
});
