import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleAbandonedRun } from '../../tasks/handle-abandoned-run.ts';
import { invoke } from '../../tasks/worker.ts';
import { testClients, throttled } from './support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const clients = testClients();

const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-7';
const event = {
  table: 'runbook-state',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:runbook-notifications',
  executionArn,
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:runbook-production-deployment',
  status: 'TIMED_OUT',
};
const ownedBy = {
  ExpressionAttributeNames: { '#owner': 'owner' },
  ExpressionAttributeValues: { ':owner': { S: executionArn } },
};

describe('handle-abandoned-run', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    sfnMock.reset();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
  });

  it('releases every lock the run held, page by page, and pages', async () => {
    // Given two pages of scan results
    dynamodbMock
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ pk: { S: 'ecs:enterprise-prod-cluster/app-service' } }],
        LastEvaluatedKey: { pk: { S: 'x' } },
      })
      .resolvesOnce({ Items: [{ pk: { S: 'ecs:enterprise-dev-cluster/app' } }] });
    dynamodbMock.on(DeleteItemCommand).resolves({});

    // When
    const result = await invoke(handleAbandonedRun, event, clients);

    // Then
    expect(result).toEqual({
      released: ['ecs:enterprise-prod-cluster/app-service', 'ecs:enterprise-dev-cluster/app'],
      running: false,
    });
    expect(dynamodbMock).toHaveReceivedNthCommandWith(ScanCommand, 1, {
      TableName: 'runbook-state',
      FilterExpression: '#owner = :owner',
      ...ownedBy,
      ProjectionExpression: 'pk',
      ConsistentRead: true,
    });
    expect(dynamodbMock).toHaveReceivedCommandWith(ScanCommand, { ExclusiveStartKey: { pk: { S: 'x' } } });
    expect(dynamodbMock).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'runbook-state',
      Key: { pk: { S: 'ecs:enterprise-prod-cluster/app-service' } },
      ConditionExpression: '#owner = :owner',
      ...ownedBy,
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:runbook-notifications',
      Subject: '[PAGE] production-deployment TIMED_OUT: run-7',
      Message: [
        'production-deployment run run-7 ended TIMED_OUT. Step Functions ran no Catch: no rollback and no notice happened.',
        'The service may be half-way through a change: check it, and start runbook-rollback if it needs one.',
        'Releasing its lock on ecs:enterprise-prod-cluster/app-service, ecs:enterprise-dev-cluster/app.',
        `Execution: ${executionArn}`,
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'timed-out' },
        severity: { DataType: 'String', StringValue: 'page' },
      },
    });
  });

  it('leaves a lock taken over since the scan, and still pages', async () => {
    // Given
    dynamodbMock
      .on(ScanCommand)
      .resolves({ Items: [{ pk: { S: 'ecs:enterprise-prod-cluster/app-service' } }] });
    dynamodbMock
      .on(DeleteItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // When
    const result = await invoke(handleAbandonedRun, { ...event, status: 'ABORTED' }, clients);

    // Then
    expect(result).toEqual({ released: [], running: false });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[PAGE] production-deployment ABORTED: run-7',
    });
  });

  it('pages before releasing: if the page cannot be sent, the lock stays for the retried invocation', async () => {
    // Given a lock the run still holds, and SNS throttling
    dynamodbMock
      .on(ScanCommand)
      .resolves({ Items: [{ pk: { S: 'ecs:enterprise-prod-cluster/app-service' } }] });
    snsMock.on(PublishCommand).rejects(throttled());

    // When
    const handled = invoke(handleAbandonedRun, { ...event, status: 'FAILED' }, clients);

    // Then
    await expect(handled).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(dynamodbMock).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('surfaces throttling as TransientAwsError so the invocation is retried', async () => {
    // Given
    dynamodbMock.on(ScanCommand).rejects(throttled());

    // When
    const handled = invoke(handleAbandonedRun, event, clients);

    // Then
    await expect(handled).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('stays quiet about a failed run that released its own lock', async () => {
    // Given no lock owned by the run
    dynamodbMock.on(ScanCommand).resolves({ Items: [] });

    // When
    const result = await invoke(handleAbandonedRun, { ...event, status: 'FAILED' }, clients);

    // Then
    expect(result).toEqual({ released: [], running: false });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('releases and pages about a failed run that still held its lock', async () => {
    // Given
    dynamodbMock
      .on(ScanCommand)
      .resolves({ Items: [{ pk: { S: 'ecs:enterprise-prod-cluster/app-service' } }] });
    dynamodbMock.on(DeleteItemCommand).resolves({});

    // When
    const result = await invoke(handleAbandonedRun, { ...event, status: 'FAILED' }, clients);

    // Then
    expect(result).toEqual({ released: ['ecs:enterprise-prod-cluster/app-service'], running: false });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[PAGE] production-deployment FAILED: run-7',
      Message: [
        'production-deployment run run-7 FAILED still holding its lock: either it failed where no Catch could act, or releasing the lock failed. Check whether it rolled back.',
        'The service may be half-way through a change: check it, and start runbook-rollback if it needs one.',
        'Releasing its lock on ecs:enterprise-prod-cluster/app-service.',
        `Execution: ${executionArn}`,
      ].join('\n'),
    });
  });

  it('pages about a timed-out run that held no lock, saying so', async () => {
    // Given a run that timed out before taking its lock
    dynamodbMock.on(ScanCommand).resolves({ Items: [{ owner: { S: executionArn } }] });
    // When
    const result = await invoke(handleAbandonedRun, event, clients);
    // Then an item without a key is no lock, nothing is deleted, and the page says it held none
    expect(result).toEqual({ released: [], running: false });
    expect(dynamodbMock).not.toHaveReceivedCommand(DeleteItemCommand);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringContaining('\nIt held no lock.\n'),
    });
  });

  it('keeps a failure to release other than a takeover, for the retried invocation', async () => {
    // Given a lock whose release fails with throttling
    dynamodbMock
      .on(ScanCommand)
      .resolves({ Items: [{ pk: { S: 'ecs:enterprise-prod-cluster/app-service' } }] });
    dynamodbMock.on(DeleteItemCommand).rejects(throttled());
    // When / Then
    await expect(invoke(handleAbandonedRun, event, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('DynamoDB DeleteItem (lock)'),
    });
  });

  it('refuses an event for any other status, naming the field', async () => {
    // When
    const handled = invoke(handleAbandonedRun, { ...event, status: 'SUCCEEDED' }, clients);

    // Then
    await expect(handled).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^handle-abandoned-run: status: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });

  it('names the procedure and its rollback with the stack’s own prefix', async () => {
    dynamodbMock.on(ScanCommand).resolves({ Items: [] });
    await invoke(
      handleAbandonedRun,
      {
        ...event,
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:payments-production-deployment',
        machinePrefix: 'payments-',
      },
      clients,
    );
    const sent = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(sent?.Subject).toMatch(/^\[PAGE\] production-deployment TIMED_OUT: /);
    expect(sent?.Message).toContain('start payments-rollback if it needs one.');
  });

  it.each(['RUNNING', 'PENDING_REDRIVE'])(
    'leaves the lock and pages nobody when the execution is %s again (a late event, a redrive)',
    async (now) => {
      sfnMock.on(DescribeExecutionCommand).resolves({ status: now as never });
      dynamodbMock
        .on(ScanCommand)
        .resolves({ Items: [{ pk: { S: 'ecs:c/s' }, owner: { S: executionArn } }] });
      await expect(invoke(handleAbandonedRun, event, clients)).resolves.toEqual({
        released: [],
        running: true,
      });
      expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn });
      expect(dynamodbMock).not.toHaveReceivedAnyCommand();
      expect(snsMock).not.toHaveReceivedAnyCommand();
    },
  );
});
