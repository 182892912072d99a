import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseLock } from '../../tasks/release-lock.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();

const lock = {
  key: 'ecs:enterprise-prod-cluster/app-service',
  owner: 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1',
  procedure: 'production-deployment',
};
const event = { table: 'runbook-locks', lock };

describe('release-lock', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('deletes the lock only on the condition that this run owns it', async () => {
    // Given
    dynamodbMock.on(DeleteItemCommand).resolves({});

    // When
    const result = await invoke(releaseLock, event, clients);

    // Then
    expect(result).toEqual({ released: true });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(DeleteItemCommand, {
      TableName: 'runbook-locks',
      Key: { pk: { S: lock.key } },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': { S: lock.owner } },
    });
  });

  it('reads as not released when its own key is not held, even where an `also` key was', async () => {
    dynamodbMock.on(DeleteItemCommand).resolves({});
    dynamodbMock
      .on(DeleteItemCommand, { Key: { pk: { S: lock.key } } })
      .rejects(new ConditionalCheckFailedException({ message: 'not yours', $metadata: {} }));
    expect(await invoke(releaseLock, { ...event, lock: { ...lock, also: ['ecs:c/app'] } }, clients)).toEqual({
      released: false,
    });
  });

  it('releases the `also` keys too, each only where this run owns it', async () => {
    // Given a lock with two more keys, the first of which another run holds now
    dynamodbMock.on(DeleteItemCommand).resolves({});
    dynamodbMock
      .on(DeleteItemCommand, { Key: { pk: { S: 'ecs:c/app' } } })
      .rejects(new ConditionalCheckFailedException({ message: 'not yours', $metadata: {} }));
    // When
    const result = await invoke(
      releaseLock,
      { ...event, lock: { ...lock, also: ['ecs:c/app', 'ecs:c/worker'] } },
      clients,
    );
    // Then each is asked for, on the owner condition, and the run's own lock reads as released
    expect(result).toEqual({ released: true });
    expect(dynamodbMock.commandCalls(DeleteItemCommand).map((c) => c.args[0].input.Key?.pk?.S)).toEqual([
      lock.key,
      'ecs:c/app',
      'ecs:c/worker',
    ]);
    for (const call of dynamodbMock.commandCalls(DeleteItemCommand))
      expect(call.args[0].input.ConditionExpression).toBe('#owner = :owner');
  });

  it('leaves another run’s lock in place and reports released: false', async () => {
    // Given
    dynamodbMock
      .on(DeleteItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // When
    const result = await invoke(releaseLock, event, clients);

    // Then
    expect(result).toEqual({ released: false });
    expect(dynamodbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
  });

  it('is safe to run twice: a lock already gone reads as released: false', async () => {
    // Given
    dynamodbMock
      .on(DeleteItemCommand)
      .resolvesOnce({})
      .rejects(awsError('ConditionalCheckFailedException', 'The conditional request failed'));

    // When
    const first = await invoke(releaseLock, event, clients);
    const second = await invoke(releaseLock, event, clients);

    // Then
    expect([first, second]).toEqual([{ released: true }, { released: false }]);
    expect(dynamodbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    dynamodbMock.on(DeleteItemCommand).rejects(throttled());

    // When
    const released = invoke(releaseLock, event, clients);

    // Then
    await expect(released).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB DeleteItem (lock): ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    dynamodbMock.on(DeleteItemCommand).rejects(awsError('AccessDeniedException', 'not authorized'));

    // When
    const released = invoke(releaseLock, event, clients);

    // Then
    await expect(released).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'not authorized',
    });
  });

  it('rejects a missing table as InvalidInput naming the field, without calling DynamoDB', async () => {
    // Given
    const invalid = { lock };

    // When
    const released = invoke(releaseLock, invalid, clients);

    // Then
    await expect(released).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^release-lock: table: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });
});
