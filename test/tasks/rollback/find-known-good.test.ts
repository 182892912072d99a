import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { findKnownGood } from '../../../tasks/rollback/find-known-good.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const ecsMock = mockClient(ECSClient);
const clients = testClients();

const lockKey = 'ecs:enterprise-prod-cluster/app-service';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:40';
const taskDefinition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const other = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:43';
const event = { table: 'runbook-state', lockKey, cluster: 'enterprise-prod-cluster', service: 'app-service' };

function givenRunning(td: string) {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: 'app-service', deployments: [{ status: 'PRIMARY', taskDefinition: td }] }],
  });
}

describe('find-known-good', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    ecsMock.reset();
    givenRunning(taskDefinition);
  });

  it('goes back to the release before the last one when the service still runs the last one', async () => {
    // Given the last deployment recorded app:41 (replacing app:40), and the service runs app:41
    dynamodbMock.on(GetItemCommand).resolves({
      Item: {
        pk: { S: `known-good#${lockKey}` },
        taskDefinition: { S: taskDefinition },
        previous: { S: previous },
        desiredCount: { N: '2' },
        recordedAt: { S: '2026-11-29T09:00:00.000Z' },
      },
    });

    // When
    const result = await invoke(findKnownGood, event, clients);

    // Then
    expect(result).toEqual({
      taskDefinition: previous,
      running: taskDefinition,
      recordedAt: '2026-11-29T09:00:00.000Z',
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'enterprise-prod-cluster',
      services: ['app-service'],
    });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: 'runbook-state',
      Key: { pk: { S: `known-good#${lockKey}` } },
      ConsistentRead: true,
    });
  });

  it('goes back to the last recorded release when the service runs something else', async () => {
    // Given a record of app:41 and a service changed outside the runbook to app:43
    givenRunning(other);
    dynamodbMock
      .on(GetItemCommand)
      .resolves({ Item: { taskDefinition: { S: taskDefinition }, previous: { S: previous } } });

    // When
    const result = await invoke(findKnownGood, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition, running: other, recordedAt: null });
  });

  it('refuses to "restore" the release the service already runs when nothing earlier is recorded', async () => {
    // Given a record of app:41 with no earlier release, and the service on app:41
    dynamodbMock.on(GetItemCommand).resolves({ Item: { taskDefinition: { S: taskDefinition } } });

    // When
    const looked = invoke(findKnownGood, event, clients);

    // Then
    await expect(looked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('already runs the only known-good'),
    });
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
    const invalid = { table: 'runbook-state', cluster: 'enterprise-prod-cluster', service: 'app-service' };

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
