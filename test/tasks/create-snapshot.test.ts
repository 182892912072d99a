import {
  CreateDBSnapshotCommand,
  DBSnapshotAlreadyExistsFault,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSnapshot } from '../../tasks/create-snapshot.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();

const dbInstance = 'enterprise-prod-db';
const snapshotId = 'pre-deploy-app-202611300800-1a2b3c4d';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1';
const event = { dbInstance, snapshotId, executionId };
const alreadyExists = () =>
  new DBSnapshotAlreadyExistsFault({
    message: `Cannot create the snapshot because a snapshot with the identifier ${snapshotId} already exists.`,
    $metadata: {},
  });

describe('create-snapshot', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('starts a tagged snapshot of the instance under the run’s snapshot id', async () => {
    // Given
    rdsMock
      .on(CreateDBSnapshotCommand)
      .resolves({ DBSnapshot: { DBSnapshotIdentifier: snapshotId, Status: 'creating' } });

    // When
    const result = await invoke(createSnapshot, event, clients);

    // Then
    expect(result).toEqual({ snapshotId, status: 'creating' });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
      DBInstanceIdentifier: dbInstance,
      DBSnapshotIdentifier: snapshotId,
      Tags: [
        { Key: 'runbook:execution', Value: executionId },
        { Key: 'runbook:purpose', Value: 'pre-deploy' },
      ],
    });
    expect(rdsMock).not.toHaveReceivedCommand(DescribeDBSnapshotsCommand);
  });

  it.each(['backup', 'pre-maintenance'])(
    'tags a %s snapshot with its purpose (never pruned)',
    async (purpose) => {
      // Given
      rdsMock.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { Status: 'creating' } });
      // When
      await invoke(createSnapshot, { ...event, purpose }, clients);
      // Then
      expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
        DBInstanceIdentifier: dbInstance,
        DBSnapshotIdentifier: snapshotId,
        Tags: [
          { Key: 'runbook:execution', Value: executionId },
          { Key: 'runbook:purpose', Value: purpose },
        ],
      });
    },
  );

  it('refuses a purpose of its own before calling RDS', async () => {
    await expect(invoke(createSnapshot, { ...event, purpose: 'whatever' }, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('reads a missing status as creating and keeps the execution tag within 256 characters', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).resolves({});
    const longExecutionId = `arn:aws:states:us-east-1:123456789012:execution:production-deployment:${'r'.repeat(300)}`;

    // When
    const result = await invoke(createSnapshot, { ...event, executionId: longExecutionId }, clients);

    // Then
    expect(result).toEqual({ snapshotId, status: 'creating' });
    expect(rdsMock).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      Tags: [
        { Key: 'runbook:execution', Value: longExecutionId.slice(-256) },
        { Key: 'runbook:purpose', Value: 'pre-deploy' },
      ],
    });
  });

  it('accepts an existing snapshot of the same instance under its id as this run’s own (a redrive)', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(alreadyExists());
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: snapshotId, DBInstanceIdentifier: dbInstance, Status: 'available' },
      ],
    });

    // When
    const result = await invoke(createSnapshot, event, clients);

    // Then
    expect(result).toEqual({ snapshotId, status: 'available' });
    expect(rdsMock).toHaveReceivedCommandTimes(CreateDBSnapshotCommand, 1);
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBSnapshotsCommand, {
      DBSnapshotIdentifier: snapshotId,
    });
  });

  it('matches the existing snapshot’s instance case-insensitively (RDS stores identifiers in lower case)', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(awsError('DBSnapshotAlreadyExists', 'already exists'));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: snapshotId, DBInstanceIdentifier: 'enterprise-prod-db' }],
    });

    // When
    const result = await invoke(createSnapshot, { ...event, dbInstance: 'Enterprise-Prod-DB' }, clients);

    // Then
    expect(result).toEqual({ snapshotId, status: 'creating' });
  });

  it('refuses an existing snapshot of another instance with SnapshotFailed naming that instance', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(alreadyExists());
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: snapshotId, DBInstanceIdentifier: 'enterprise-staging-db' }],
    });

    // When
    const created = invoke(createSnapshot, event, clients);

    // Then
    await expect(created).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message: `snapshot ${snapshotId} already exists for another instance (enterprise-staging-db)`,
    });
  });

  it('surfaces throttling of the follow-up DescribeDBSnapshots as TransientAwsError', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(alreadyExists());
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled());

    // When
    const created = invoke(createSnapshot, event, clients);

    // Then
    await expect(created).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS DescribeDBSnapshots: ThrottlingException: Rate exceeded',
    });
  });

  it('turns an instance that cannot be snapshotted now into SnapshotFailed naming instance and reason', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(
      new InvalidDBInstanceStateFault({
        message: 'Instance enterprise-prod-db is not currently in the available state.',
        $metadata: {},
      }),
    );

    // When
    const created = invoke(createSnapshot, event, clients);

    // Then
    await expect(created).rejects.toMatchObject({
      name: 'SnapshotFailed',
      message:
        'cannot snapshot enterprise-prod-db: InvalidDBInstanceStateFault: Instance enterprise-prod-db is not currently in the available state.',
      cause: expect.objectContaining({ name: 'InvalidDBInstanceStateFault' }),
    });
    expect(rdsMock).toHaveReceivedCommandTimes(CreateDBSnapshotCommand, 1);
  });

  it.each(['SnapshotQuotaExceeded', 'SnapshotQuotaExceededFault'])(
    'turns %s into SnapshotFailed naming the quota, and what to do',
    async (name) => {
      // Given
      rdsMock
        .on(CreateDBSnapshotCommand)
        .rejects(awsError(name, 'Cannot create more than 100 manual snapshots'));

      // When
      const created = invoke(createSnapshot, event, clients);

      // Then
      await expect(created).rejects.toMatchObject({
        name: 'SnapshotFailed',
        message: `cannot snapshot ${dbInstance}: the region's quota of manual DB snapshots is reached (${name}: Cannot create more than 100 manual snapshots); nothing was changed: delete manual snapshots no one needs, or raise the quota in Service Quotas, then run again`,
      });
    },
  );

  it('tags the snapshot with the release it holds the data of, when given', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).resolves({});
    const release = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';

    // When
    await invoke(createSnapshot, { ...event, release }, clients);

    // Then
    expect(rdsMock).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      Tags: [
        { Key: 'runbook:execution', Value: executionId },
        { Key: 'runbook:purpose', Value: 'pre-deploy' },
        { Key: 'runbook:release', Value: release },
      ],
    });
  });

  it.each(['InvalidDBInstanceState', 'DBInstanceNotFound', 'DBInstanceNotFoundFault'])(
    'turns %s into SnapshotFailed',
    async (name) => {
      // Given
      rdsMock.on(CreateDBSnapshotCommand).rejects(awsError(name, 'not possible'));

      // When
      const created = invoke(createSnapshot, event, clients);

      // Then
      await expect(created).rejects.toMatchObject({
        name: 'SnapshotFailed',
        message: `cannot snapshot ${dbInstance}: ${name}: not possible`,
      });
    },
  );

  it('surfaces throttling of CreateDBSnapshot as TransientAwsError', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(throttled());

    // When
    const created = invoke(createSnapshot, event, clients);

    // Then
    await expect(created).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS CreateDBSnapshot: ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    rdsMock.on(CreateDBSnapshotCommand).rejects(awsError('AccessDenied', 'not authorized'));

    // When
    const created = invoke(createSnapshot, event, clients);

    // Then
    await expect(created).rejects.toMatchObject({ name: 'AccessDenied', message: 'not authorized' });
  });

  it('rejects an empty snapshot id as InvalidInput naming the field, without calling RDS', async () => {
    // Given
    const invalid = { ...event, snapshotId: '' };

    // When
    const created = invoke(createSnapshot, invalid, clients);

    // Then
    await expect(created).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^create-snapshot: snapshotId: /),
    });
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });
});
