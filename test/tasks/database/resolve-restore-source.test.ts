import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveRestoreSource } from '../../../tasks/database/resolve-restore-source.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const DB = 'enterprise-prod-db';
const at = (iso: string) => new Date(iso);
const snap = (id: string, created: string, status = 'available', type = 'manual') => ({
  DBSnapshotIdentifier: id,
  DBInstanceIdentifier: DB,
  Status: status,
  SnapshotType: type,
  SnapshotCreateTime: at(created),
});

describe('resolve-restore-source', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('takes for latest the newest available snapshot, automated or manual, on any page', async () => {
    // Given three pages: the newest of them still creating, the newest available one on page 2
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [snap('rds:old', '2026-11-28T03:00:00Z', 'available', 'automated')],
        Marker: 'm1',
      })
      .resolvesOnce({ DBSnapshots: [snap('manual-a', '2026-11-30T10:00:00Z')], Marker: 'm2' })
      .resolvesOnce({
        DBSnapshots: [
          snap('manual-b', '2026-12-01T10:00:00Z', 'creating'),
          snap('rds:newer', '2026-11-30T03:00:00Z', 'available', 'automated'),
        ],
      });
    // When
    const result = await invoke(
      resolveRestoreSource,
      { dbInstance: DB, source: { snapshot: 'latest' } },
      clients,
    );
    // Then
    expect(result).toEqual({
      kind: 'snapshot',
      snapshotId: 'manual-a',
      snapshotType: 'manual',
      restoreTime: null,
      useLatestRestorableTime: false,
      restorePoint: '2026-11-30T10:00:00.000Z',
    });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: DB, MaxRecords: 100 },
      { DBInstanceIdentifier: DB, MaxRecords: 100, Marker: 'm1' },
      { DBInstanceIdentifier: DB, MaxRecords: 100, Marker: 'm2' },
    ]);
  });

  it('fails with SnapshotNotFound when the instance has no available snapshot', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [snap('x', '2026-12-01T00:00:00Z', 'failed')] });
    await expect(
      invoke(resolveRestoreSource, { dbInstance: DB, source: { snapshot: 'latest' } }, clients),
    ).rejects.toMatchObject({
      name: 'SnapshotNotFound',
      message: `${DB} has no available snapshot to restore; nothing was created`,
    });
  });

  it('takes a named snapshot only if it exists, is of this instance and is available', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'manual-a' })
      .resolves({ DBSnapshots: [snap('manual-a', '2026-11-30T10:00:00Z')] });
    expect(
      await invoke(resolveRestoreSource, { dbInstance: DB, source: { snapshot: 'manual-a' } }, clients),
    ).toMatchObject({ kind: 'snapshot', snapshotId: 'manual-a', restorePoint: '2026-11-30T10:00:00.000Z' });

    const refusals: [unknown, string][] = [
      [
        awsError('DBSnapshotNotFoundFault', 'not found'),
        'snapshot manual-a does not exist; nothing was created',
      ],
      [
        { DBSnapshots: [{ ...snap('manual-a', '2026-11-30T10:00:00Z'), DBInstanceIdentifier: 'other-db' }] },
        `snapshot manual-a is of other-db, not of ${DB}; nothing was created`,
      ],
      [
        { DBSnapshots: [snap('manual-a', '2026-11-30T10:00:00Z', 'creating')] },
        'snapshot manual-a is creating; only an available snapshot can be restored; nothing was created',
      ],
      [{ DBSnapshots: [] }, 'snapshot manual-a does not exist; nothing was created'],
    ];
    for (const [answer, message] of refusals) {
      rdsMock.reset();
      if (answer instanceof Error) rdsMock.on(DescribeDBSnapshotsCommand).rejects(answer);
      else rdsMock.on(DescribeDBSnapshotsCommand).resolves(answer as never);
      await expect(
        invoke(resolveRestoreSource, { dbInstance: DB, source: { snapshot: 'manual-a' } }, clients),
      ).rejects.toMatchObject({ name: 'SnapshotNotFound', message });
    }
  });

  describe('a point in time', () => {
    beforeEach(() => {
      rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB }).resolves({
        DBInstances: [{ DBInstanceIdentifier: DB, LatestRestorableTime: at('2026-12-01T11:55:00Z') }],
      });
      rdsMock
        .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB, SnapshotType: 'automated' })
        .resolves({
          DBSnapshots: [
            snap('rds:a', '2026-11-25T03:00:00Z', 'available', 'automated'),
            snap('rds:b', '2026-11-24T03:00:00Z', 'creating', 'automated'),
            snap('rds:c', '2026-11-30T03:00:00Z', 'available', 'automated'),
          ],
        });
    });

    it('inside the window, from the oldest available automated backup to the latest restorable time', async () => {
      for (const time of ['2026-11-25T03:00:00Z', '2026-12-01T11:55:00Z', '2026-11-28T12:00:00+02:00'])
        expect(
          await invoke(resolveRestoreSource, { dbInstance: DB, source: { pointInTime: time } }, clients),
          time,
        ).toEqual({
          kind: 'pointInTime',
          snapshotId: null,
          snapshotType: null,
          restoreTime: new Date(time).toISOString(),
          useLatestRestorableTime: false,
          restorePoint: new Date(time).toISOString(),
        });
      expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)[0]?.args[0].input).toEqual({
        DBInstanceIdentifier: DB,
        SnapshotType: 'automated',
        MaxRecords: 100,
      });
    });

    it('outside the window fails with RestoreWindowExceeded, naming the window', async () => {
      for (const time of ['2026-11-25T02:59:59Z', '2026-12-01T11:55:01Z'])
        await expect(
          invoke(resolveRestoreSource, { dbInstance: DB, source: { pointInTime: time } }, clients),
        ).rejects.toMatchObject({
          name: 'RestoreWindowExceeded',
          message: `${time} is outside ${DB}'s restorable window (2026-11-25T03:00:00.000Z to 2026-12-01T11:55:00.000Z); nothing was created`,
        });
    });

    it('latest-restorable restores to the latest restorable time', async () => {
      expect(
        await invoke(
          resolveRestoreSource,
          { dbInstance: DB, source: { pointInTime: 'latest-restorable' } },
          clients,
        ),
      ).toEqual({
        kind: 'pointInTime',
        snapshotId: null,
        snapshotType: null,
        restoreTime: null,
        useLatestRestorableTime: true,
        restorePoint: '2026-12-01T11:55:00.000Z',
      });
    });

    it('has no window without an automated backup', async () => {
      rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
      await expect(
        invoke(
          resolveRestoreSource,
          { dbInstance: DB, source: { pointInTime: 'latest-restorable' } },
          clients,
        ),
      ).rejects.toMatchObject({
        name: 'RestoreWindowExceeded',
        message: expect.stringContaining('no restorable window'),
      });
    });
  });

  it('refuses a source that is neither, and a time that is not ISO 8601', async () => {
    for (const source of [
      {},
      { snapshot: '' },
      { pointInTime: 'yesterday' },
      { snapshot: 'a', pointInTime: 'latest-restorable' },
    ])
      await expect(invoke(resolveRestoreSource, { dbInstance: DB, source }, clients)).rejects.toMatchObject({
        name: 'InvalidInput',
      });
    expect(rdsMock.calls()).toEqual([]);
  });

  it('surfaces throttling as TransientAwsError', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled());
    await expect(
      invoke(resolveRestoreSource, { dbInstance: DB, source: { snapshot: 'latest' } }, clients),
    ).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
