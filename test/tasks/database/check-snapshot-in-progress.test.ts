import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkSnapshotInProgress } from '../../../tasks/database/check-snapshot-in-progress.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const poll = { dbInstance: 'enterprise-prod-db', attempt: 0, maxAttempts: 3 };

describe('check-snapshot-in-progress', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('is done when none of the instance’s snapshots is being made, reading every page', async () => {
    // Given two pages, the second with an available snapshot only
    rdsMock
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'enterprise-prod-db', MaxRecords: 100 })
      .resolvesOnce({ DBSnapshots: [{ DBSnapshotIdentifier: 'a', Status: 'available' }], Marker: 'm1' })
      .resolvesOnce({ DBSnapshots: [{ DBSnapshotIdentifier: 'b', Status: 'available' }] });
    // When
    const result = await invoke(checkSnapshotInProgress, poll, clients);
    // Then
    expect(result).toEqual({ done: true, attempt: 1, inProgress: [] });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'enterprise-prod-db', MaxRecords: 100 },
      { DBInstanceIdentifier: 'enterprise-prod-db', MaxRecords: 100, Marker: 'm1' },
    ]);
  });

  it('is not done while one is creating (on any page), naming it', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [{ DBSnapshotIdentifier: 'a', Status: 'available' }], Marker: 'm1' })
      .resolvesOnce({
        DBSnapshots: [{ DBSnapshotIdentifier: 'rds:enterprise-prod-db-x', Status: 'creating' }],
      });
    const result = await invoke(checkSnapshotInProgress, { ...poll, attempt: 1 }, clients);
    expect(result).toEqual({ done: false, attempt: 2, inProgress: ['rds:enterprise-prod-db-x'] });
  });

  it('fails with SnapshotFailed once its budget is spent, saying nothing was changed', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [{ DBSnapshotIdentifier: 'x', Status: 'creating' }] });
    await expect(invoke(checkSnapshotInProgress, { ...poll, attempt: 2 }, clients)).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: 'enterprise-prod-db was still being snapshotted (x) after 3 polls; nothing was changed',
    });
  });

  it('is done on the last poll of its budget when the snapshot finished', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    expect(await invoke(checkSnapshotInProgress, { ...poll, attempt: 2 }, clients)).toMatchObject({
      done: true,
    });
  });

  it('surfaces throttling as TransientAwsError naming the call', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled());
    await expect(invoke(checkSnapshotInProgress, poll, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('RDS DescribeDBSnapshots'),
    });
  });

  it('names every snapshot in progress when its budget is spent, and one RDS gives no name', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'a', Status: 'creating' }, { Status: 'creating' }],
    });
    await expect(invoke(checkSnapshotInProgress, { ...poll, attempt: 2 }, clients)).rejects.toMatchObject({
      message:
        'enterprise-prod-db was still being snapshotted (a, (unnamed)) after 3 polls; nothing was changed',
    });
  });

  it('reads a page without snapshots as none in progress', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({});
    expect(await invoke(checkSnapshotInProgress, poll, clients)).toMatchObject({
      done: true,
      inProgress: [],
    });
  });

  it('words its result for a person following the run', () => {
    const say = checkSnapshotInProgress.summarize;
    expect(say?.({ done: true, attempt: 1, inProgress: [] })).toBe('no snapshot in progress');
    expect(say?.({ done: false, attempt: 1, inProgress: ['a', 'b'] })).toBe('waiting for a, b');
  });
});
