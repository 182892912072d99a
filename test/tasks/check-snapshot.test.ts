import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkSnapshot } from '../../tasks/check-snapshot.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();

const snapshotId = 'pre-deploy-app-202611300800-1a2b3c4d';
const poll = { snapshotId, attempt: 0, maxAttempts: 3 };
const arn = `arn:aws:rds:us-east-1:123456789012:snapshot:${snapshotId}`;

function givenSnapshot(snapshot: { Status?: string; PercentProgress?: number } | undefined) {
  rdsMock.on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: snapshot ? [{ DBSnapshotIdentifier: snapshotId, DBSnapshotArn: arn, ...snapshot }] : [],
  });
}

describe('check-snapshot', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('is done once the snapshot is available', async () => {
    // Given
    givenSnapshot({ Status: 'available', PercentProgress: 100 });

    // When
    const result = await invoke(checkSnapshot, poll, clients);

    // Then
    expect(result).toEqual({ done: true, attempt: 1, status: 'available', progress: 100, arn });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBSnapshotsCommand, {
      DBSnapshotIdentifier: snapshotId,
    });
  });

  it('is done when the snapshot becomes available on the last poll of the budget', async () => {
    // Given
    givenSnapshot({ Status: 'available' });

    // When
    const result = await invoke(checkSnapshot, { ...poll, attempt: 2 }, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 3 });
  });

  it('is not done while creating, counting the attempt and reporting progress', async () => {
    // Given
    givenSnapshot({ Status: 'creating', PercentProgress: 42 });

    // When
    const result = await invoke(checkSnapshot, { ...poll, attempt: 1 }, clients);

    // Then
    expect(result).toEqual({ done: false, attempt: 2, status: 'creating', progress: 42, arn });
  });

  it('reads a creating snapshot without progress as 0 %', async () => {
    // Given
    givenSnapshot({ Status: 'creating' });

    // When
    const result = await invoke(checkSnapshot, poll, clients);

    // Then
    expect(result).toEqual({ done: false, attempt: 1, status: 'creating', progress: 0, arn });
  });

  it('throws SnapshotFailed once the poll budget is spent while still creating', async () => {
    // Given
    givenSnapshot({ Status: 'creating', PercentProgress: 87 });

    // When
    const checked = invoke(checkSnapshot, { ...poll, attempt: 2 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: `snapshot ${snapshotId} was still creating (87%) after 3 polls`,
    });
  });

  it.each([
    ['failed', { Status: 'failed' }],
    ['deleting', { Status: 'deleting' }],
    ['missing', undefined],
  ])('throws SnapshotFailed for a snapshot that is %s', async (status, snapshot) => {
    // Given
    givenSnapshot(snapshot);

    // When
    const checked = invoke(checkSnapshot, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: `snapshot ${snapshotId} is ${status}`,
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled());

    // When
    const checked = invoke(checkSnapshot, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS DescribeDBSnapshots: ThrottlingException: Rate exceeded',
    });
  });

  it('fails with SnapshotFailed when the snapshot was deleted while it was being created', async () => {
    // Given
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFoundFault', 'not found'));

    // When
    const checked = invoke(checkSnapshot, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: `snapshot ${poll.snapshotId} no longer exists: it was deleted before it was available`,
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(awsError('AccessDenied', 'no'));

    // When
    const checked = invoke(checkSnapshot, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it.each([
    ['maxAttempts', { ...poll, maxAttempts: 0 }],
    ['attempt', { ...poll, attempt: -1 }],
    ['snapshotId', { attempt: 0, maxAttempts: 3 }],
  ])(
    'rejects an invalid %s as InvalidInput naming the field, without calling RDS',
    async (field, invalid) => {
      // Given
      const event = invalid;

      // When
      const checked = invoke(checkSnapshot, event, clients);

      // Then
      await expect(checked).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`check-snapshot: ${field}: `),
      });
      expect(rdsMock).not.toHaveReceivedAnyCommand();
    },
  );
});
