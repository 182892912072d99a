import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordKnownGood } from '../../../tasks/production-deployment/record-known-good.ts';
import { knownGoodKey } from '../../../tasks/run-state.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients } from '../support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();

const lockKey = 'ecs:enterprise-prod-cluster/app-service';
const taskDefinition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1';
const event = {
  table: 'runbook-state',
  lockKey,
  taskDefinition,
  previous,
  desiredCount: 2,
  executionId,
  now: '2026-11-30T09:00:00.000Z',
};

describe('record-known-good', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('records the release and the one it replaced under the service’s known-good key', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});

    // When
    const result = await invoke(recordKnownGood, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition, previous, desiredCount: 2 });
    const sent = dynamodbMock.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(sent).toStrictEqual([
      {
        TableName: 'runbook-state',
        Item: {
          pk: { S: `known-good#${lockKey}` },
          taskDefinition: { S: taskDefinition },
          previous: { S: previous },
          desiredCount: { N: '2' },
          executionId: { S: executionId },
          recordedAt: { S: '2026-11-30T09:00:00.000Z' },
        },
      },
    ]);
  });

  it('keeps no "previous" when the release redeployed the revision the service already ran', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});

    // When
    await invoke(recordKnownGood, { ...event, previous: taskDefinition }, clients);

    // Then
    const item = dynamodbMock.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(item?.taskDefinition).toEqual({ S: taskDefinition });
    expect(item).not.toHaveProperty('previous');
  });

  it('derives the known-good key from the lock key', () => {
    // Given
    const key = 'ecs:c/s';

    // When
    const derived = knownGoodKey(key);

    // Then
    expect(derived).toBe('known-good#ecs:c/s');
  });

  it.each([
    ['ProvisionedThroughputExceededException', 'Throughput exceeds the provisioned capacity'],
    ['ThrottlingException', 'Rate exceeded'],
  ])('surfaces %s as TransientAwsError', async (name, message) => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(awsError(name, message));

    // When
    const recorded = invoke(recordKnownGood, event, clients);

    // Then
    await expect(recorded).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `DynamoDB PutItem (known-good): ${name}: ${message}`,
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(awsError('ResourceNotFoundException', 'Table not found'));

    // When
    const recorded = invoke(recordKnownGood, event, clients);

    // Then
    await expect(recorded).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Table not found',
    });
  });

  it('rejects a fractional desired count as InvalidInput naming the field, without writing', async () => {
    // Given
    const invalid = { ...event, desiredCount: 1.5 };

    // When
    const recorded = invoke(recordKnownGood, invalid, clients);

    // Then
    await expect(recorded).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^record-known-good: desiredCount: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });
});
