// A worker's Lambda entry point: real SDK clients, built on the first event and kept for the next.
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../tasks/release-lock.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const lock = {
  key: 'ecs:enterprise-prod-cluster/app-service',
  owner: 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1',
  procedure: 'production-deployment',
};

describe('lambdaHandler', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    dynamodbMock.on(DeleteItemCommand).resolves({});
  });

  it('runs the worker on each event with the SDK clients it built, and validates the event', async () => {
    // When two events arrive at one container
    const first = await handler({ table: 'runbook-state', lock });
    const second = await handler({ table: 'runbook-state', lock });

    // Then each ran the worker, through one DynamoDB client
    expect(first).toEqual({ released: true });
    expect(second).toEqual({ released: true });
    expect(dynamodbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
    expect(new Set(dynamodbMock.commandCalls(DeleteItemCommand).map((c) => c.thisValue)).size).toBe(1);

    // and an event the worker's schema refuses fails with InvalidInput, calling nothing
    await expect(handler({ table: '', lock })).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(dynamodbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 2);
  });
});
