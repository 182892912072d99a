import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { requestApproval } from '../../tasks/request-approval.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const clients = testClients();

const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-task-token';
const approvalId = createHash('sha256').update(token).digest('hex').slice(0, 20);
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1';
const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`;
const from = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-approvals';
const summary = {
  procedure: 'production-deployment',
  environment: 'prod',
  target: 'app',
  change: `image ${image}`,
  from,
  fromDetail: '2 tasks',
  changeRequest: 'CHG-1234',
  reason: 'release 1.2.3',
  requestedBy: 'alice',
  approvers: ['bob', 'carol'],
};
const event = {
  table: 'runbook-approvals',
  topicArn,
  token,
  executionId,
  now: '2026-11-30T08:00:00.000Z',
  timeoutSeconds: 3600,
  summary,
};
const expiresAt = '2026-11-30T09:00:00.000Z';

describe('request-approval', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    snsMock.reset();
  });

  it('records the summary under an id derived from the token, announces how to decide, and returns it', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // When
    const result = await invoke(requestApproval, event, clients);

    // Then
    expect(result).toEqual({ approvalId, expiresAt, summary });
    expect(approvalId).toMatch(/^[0-9a-f]{20}$/);
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: 'runbook-approvals',
      Item: {
        pk: { S: `approval#${approvalId}` },
        taskToken: { S: token },
        executionId: { S: executionId },
        procedure: { S: 'production-deployment' },
        environment: { S: 'prod' },
        target: { S: 'app' },
        change: { S: `image ${image}` },
        from: { S: from },
        requestedBy: { S: 'alice' },
        approvers: { S: '["bob","carol"]' },
        status: { S: 'pending' },
        requestedAt: { S: '2026-11-30T08:00:00.000Z' },
        expiresAt: { S: expiresAt },
        ttl: { N: String(Date.parse(expiresAt) / 1000 + 90 * 86400) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: 'Approval needed: app in prod',
      Message: [
        'production-deployment of app in prod is waiting for approval.',
        `Change: image ${image} (now running ${from}, 2 tasks).`,
        'Requested by: alice; change request: CHG-1234; reason: release 1.2.3.',
        `Approvers: bob, carol. Expires at ${expiresAt}.`,
        `Approval id: ${approvalId}. The approval service records the decision (verified identity) and resumes the run.`,
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'approval-needed' },
        severity: { DataType: 'String', StringValue: 'info' },
      },
    });
  });

  it('announces a summary without detail on what runs now, and fills in missing requester, ticket, reason and approvers', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({});
    const { fromDetail: _, ...bare } = {
      ...summary,
      changeRequest: null,
      reason: null,
      requestedBy: null,
      approvers: [],
    };

    // When
    await invoke(requestApproval, { ...event, summary: bare }, clients);

    // Then
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        requestedBy: { S: 'unknown' },
        approvers: { S: '[]' },
      }),
    });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringContaining(
        `Change: image ${image} (now running ${from}).\nRequested by: unknown; change request: none; reason: none.\nApprovers: anyone allowed by IAM.`,
      ),
    });
  });

  it('keeps the subject within the 100 characters SNS allows', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({});
    const longTarget = `svc-${'x'.repeat(120)}`;

    // When
    await invoke(requestApproval, { ...event, summary: { ...summary, target: longTarget } }, clients);

    // Then
    const subject = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject;
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^Approval needed: svc-x+$/);
  });

  it('records the request once: a retried invocation finds it recorded and announces it again', async () => {
    // Given
    dynamodbMock
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    snsMock.on(PublishCommand).resolves({});

    // When
    const result = await invoke(requestApproval, event, clients);

    // Then
    expect(result).toEqual({ approvalId, expiresAt, summary });
    expect(dynamodbMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('surfaces throttled DynamoDB as TransientAwsError and announces nothing', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(throttled());

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB PutItem (approval): ThrottlingException: Rate exceeded',
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('keeps the name of any other DynamoDB error and announces nothing', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).rejects(awsError('ResourceNotFoundException', 'Table not found'));

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('surfaces throttled SNS as TransientAwsError', async () => {
    // Given
    dynamodbMock.on(PutItemCommand).resolves({});
    snsMock.on(PublishCommand).rejects(awsError('Throttling', 'Rate exceeded'));

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'SNS Publish (approval-needed): Throttling: Rate exceeded',
    });
  });

  it('rejects a missing task token as InvalidInput naming the field, without recording anything', async () => {
    // Given
    const { token: _, ...invalid } = event;

    // When
    const requested = invoke(requestApproval, invalid, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^request-approval: token: /),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});
