import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handOverLock } from '../../../tasks/production-deployment/hand-over-lock.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();

const lock = {
  key: 'ecs:enterprise-prod-cluster/app-service',
  owner: 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1',
  procedure: 'production-deployment',
};
const now = '2026-12-02T08:00:00.000Z';
const event = { table: 'runbook-state', lock, now, ttlSeconds: 7200 };

describe('hand-over-lock', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('writes a fresh, unguessable token onto the lock this run holds (or takes again), and returns it', async () => {
    // Given
    dynamodbMock.on(UpdateItemCommand).resolves({});

    // When
    const first = await invoke(handOverLock, event, clients);
    const second = await invoke(handOverLock, event, clients);

    // Then
    expect(first.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.token).not.toBe(first.token);
    expect(dynamodbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'runbook-state',
      Key: { pk: { S: lock.key } },
      UpdateExpression:
        'SET #owner = :owner, joinToken = :token, #procedure = if_not_exists(#procedure, :procedure), ' +
        'acquiredAt = if_not_exists(acquiredAt, :now), expiresAt = :expires, #ttl = :expires REMOVE joinedBy',
      ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner', '#procedure': 'procedure', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':owner': { S: lock.owner },
        ':token': { S: first.token },
        ':procedure': { S: 'production-deployment' },
        ':now': { S: now },
        // 2026-12-02T08:00:00Z plus the 2-hour ttl, in epoch seconds
        ':expires': { N: String(Date.parse(now) / 1000 + 7200) },
      },
    });
  });

  it('refuses with LockHeld when another run holds the lock now', async () => {
    // Given
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // When
    const handed = invoke(handOverLock, event, clients);

    // Then
    await expect(handed).rejects.toMatchObject({
      name: 'LockHeld',
      message: `${lock.key} is held by another run now, not ${lock.owner}: cannot hand it over to the rollback`,
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    dynamodbMock.on(UpdateItemCommand).rejects(throttled());

    // When
    const handed = invoke(handOverLock, event, clients);

    // Then
    await expect(handed).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
