import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { findKnownGood } from '../../tasks/find-known-good.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();

const lockKey = 'ecs:enterprise-prod-cluster/app-service';
const taskDefinition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const event = { table: 'runbook-state', lockKey };

describe('find-known-good', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('returns the recorded known-good task definition, read consistently', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves({
      Item: {
        pk: { S: `known-good#${lockKey}` },
        taskDefinition: { S: taskDefinition },
        desiredCount: { N: '2' },
        recordedAt: { S: '2026-11-29T09:00:00.000Z' },
      },
    });

    // When
    const result = await invoke(findKnownGood, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition, recordedAt: '2026-11-29T09:00:00.000Z' });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: 'runbook-state',
      Key: { pk: { S: `known-good#${lockKey}` } },
      ConsistentRead: true,
    });
  });

  it('returns recordedAt null for a record without a time', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves({ Item: { taskDefinition: { S: taskDefinition } } });

    // When
    const result = await invoke(findKnownGood, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition, recordedAt: null });
  });

  it.each([
    ['no record', {}],
    ['a record without a task definition', { Item: { pk: { S: `known-good#${lockKey}` } } }],
  ])('throws InvalidInput naming taskDefinition and the service when there is %s', async (_, found) => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves(found);

    // When
    const looked = invoke(findKnownGood, event, clients);

    // Then
    await expect(looked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `taskDefinition: not given, and no known-good task definition is recorded for ${lockKey}`,
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).rejects(throttled());

    // When
    const looked = invoke(findKnownGood, event, clients);

    // Then
    await expect(looked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB GetItem (known-good): ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).rejects(awsError('AccessDeniedException', 'not authorized'));

    // When
    const looked = invoke(findKnownGood, event, clients);

    // Then
    await expect(looked).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'not authorized' });
  });

  it('rejects a missing lock key as InvalidInput naming the field, without reading', async () => {
    // Given
    const invalid = { table: 'runbook-state' };

    // When
    const looked = invoke(findKnownGood, invalid, clients);

    // Then
    await expect(looked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^find-known-good: lockKey: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });
});
