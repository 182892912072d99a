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
const event = { table: 'runbook-state', lock };

describe('hand-over-lock', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('writes a fresh, unguessable token onto the lock this run holds, and returns it', async () => {
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
      UpdateExpression: 'SET joinToken = :token',
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': { S: lock.owner }, ':token': { S: first.token } },
    });
  });

  it('refuses with LockHeld when this run no longer holds the lock', async () => {
    // Given
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // When
    const handed = invoke(handOverLock, event, clients);

    // Then
    await expect(handed).rejects.toMatchObject({
      name: 'LockHeld',
      message: expect.stringContaining('is no longer held by'),
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
