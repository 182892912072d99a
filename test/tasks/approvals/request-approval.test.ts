import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ApprovalRequest,
  approvalIdOf,
  summaryHashOf,
  toItem,
} from '../../../tasks/approvals/request.ts';
import { requestApproval } from '../../../tasks/approvals/request-approval.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';
import { updatedItem, written } from './fixture.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const clients = testClients();

const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-task-token';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:production-deployment:run-1';
const gate = 'Wait For Approval';
const approvalId = approvalIdOf(executionId, gate);
const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`;
const from = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-approvals';
const table = 'runbook-approvals';
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
  snapshot: 'pre-deploy-app-202611300800-1a2b3c4d',
};
const rule = {
  approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_*/*'],
  required: 1,
  neverApprovers: [],
};
const event = {
  table,
  topicArn,
  token,
  executionId,
  gate,
  runStartedAt: '2026-11-30T07:58:00.000Z',
  now: '2026-11-30T08:00:00.000Z',
  timeoutSeconds: 3600,
  summary,
  rule,
  reminders: { remindAt: 0.5, pageAt: 0.9 },
};
const expiresAt = '2026-11-30T09:00:00.000Z';
const hashed = { approvalId, summary, rule, expiresAt };
const recorded: ApprovalRequest = {
  ...hashed,
  executionId,
  gate,
  runStartedAt: '2026-11-30T07:58:00.000Z',
  status: 'pending',
  summaryHash: summaryHashOf(hashed),
  requestedAt: '2026-11-30T08:00:00.000Z',
  decisions: [],
  refusals: [],
  reminders: {
    remindAt: '2026-11-30T08:30:00.000Z',
    pageAt: '2026-11-30T08:54:00.000Z',
    reminded: false,
    paged: false,
  },
  startedBy: null,
  delivery: null,
  version: 0,
};
const bob = {
  decision: 'approve' as const,
  arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_x/bob',
  person: 'bob',
  at: '2026-11-30T08:10:00.000Z',
  comment: null,
};

const updates = () => dynamodbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);

describe('request-approval', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    snsMock.reset();
    dynamodbMock.on(GetItemCommand).resolves({});
    dynamodbMock.on(PutItemCommand).resolves({});
    dynamodbMock.on(UpdateItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('records a new request with its hash and rule under an id stable for this gate of this run, and announces how to decide', async () => {
    // When
    const result = await invoke(requestApproval, event, clients);

    // Then
    expect(result).toEqual({
      approvalId,
      expiresAt,
      summaryHash: recorded.summaryHash,
      required: 1,
      summary,
    });
    expect(approvalId).toMatch(/^[0-9a-f]{20}$/);
    expect(dynamodbMock).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: table,
      Key: { pk: { S: `approval#${approvalId}` } },
      ConsistentRead: true,
    });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: table,
      Item: { ...toItem(recorded), taskToken: { S: token } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: 'Approval needed: app in prod',
      Message: [
        'production-deployment of app in prod is waiting for approval.',
        `Change: image ${image} (now running ${from}, 2 tasks).`,
        'Backup before the change: pre-deploy-app-202611300800-1a2b3c4d.',
        'Requested by: alice; change request: CHG-1234; reason: release 1.2.3.',
        `Needs 1 approval from: ${rule.approvers[0]}. Expires at ${expiresAt}.`,
        `Approval id: ${approvalId} (summary ${recorded.summaryHash.slice(0, 12)}).`,
        `Decide with your own AWS credentials: runbook approve ${approvalId}   or   runbook reject ${approvalId} --reason "..."`,
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'approval-needed' },
        severity: { DataType: 'String', StringValue: 'info' },
      },
    });
  });

  it('never lets the task token out: not in the notice, the result or a log line', async () => {
    // Given
    const logged = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
    ];

    // When
    const result = await invoke(requestApproval, event, clients);

    // Then
    const published = snsMock.commandCalls(PublishCommand).map((c) => JSON.stringify(c.args[0].input));
    expect(published.join('')).not.toContain(token);
    expect(JSON.stringify(result)).not.toContain(token);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('words a notice without backup, detail, requester, ticket or reason, and counts approvals', async () => {
    // Given
    const { fromDetail: _, ...bare } = {
      ...summary,
      changeRequest: null,
      reason: null,
      requestedBy: null,
      snapshot: null,
    };

    // When
    await invoke(requestApproval, { ...event, summary: bare, rule: { ...rule, required: 2 } }, clients);

    // Then
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringContaining(
        `Change: image ${image} (now running ${from}).\nRequested by: unknown; change request: none; reason: none.\nNeeds 2 approvals from:`,
      ),
    });
  });

  it('follows a retry of the gate with its new token, keeping the decisions, expiry and hash already recorded', async () => {
    // Given the first attempt's request, approved by one of two approvers
    const earlier = { ...recorded, rule: { ...rule, required: 2 }, decisions: [bob], version: 3 };
    dynamodbMock.on(GetItemCommand).resolves({ Item: { ...toItem(earlier), taskToken: { S: 'old-token' } } });

    // When the retry, an hour later, brings a new token
    const result = await invoke(
      requestApproval,
      { ...event, token: 'new-token', now: '2026-11-30T09:30:00.000Z' },
      clients,
    );

    // Then
    expect(result).toMatchObject({ approvalId, expiresAt, summaryHash: earlier.summaryHash });
    // over the version read, leaving the refusals appended meanwhile as they are
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      TableName: table,
      Key: { pk: { S: `approval#${approvalId}` } },
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: expect.objectContaining({ ':read': { N: '3' } }),
    });
    expect(updatedItem(updates()[0] ?? {})).toEqual(written({ ...earlier, version: 4 }, 'new-token'));
    // and announced as it was, not as asked again
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message).not.toContain('Asked again');
  });

  it('retries (TransientAwsError) when a decision was written between its read and its update of an earlier request, announcing nothing', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).resolves({ Item: toItem({ ...recorded, version: 3 }) });
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // When / Then
    await expect(invoke(requestApproval, { ...event, token: 'new-token' }, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `approval ${approvalId} changed while the gate recorded it`,
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('opens a closed request again when the gate asks again: a decision is never sent to a token it was not given for', async () => {
    // Given a request approved while the gate's earlier attempt failed
    const refusal = { arn: bob.arn, at: bob.at, code: 'OwnRequest', message: 'no' };
    const earlier = {
      ...recorded,
      status: 'approved' as const,
      decisions: [bob],
      refusals: [refusal],
      version: 2,
    };
    dynamodbMock.on(GetItemCommand).resolves({ Item: toItem(earlier) });

    // When
    await invoke(requestApproval, { ...event, token: 'new-token', now: '2026-11-30T08:30:00.000Z' }, clients);

    // Then the decisions are gone, the refusals kept, and the new wait has its own expiry and hash
    const reopenedHashed = { approvalId, summary, rule, expiresAt: '2026-11-30T09:30:00.000Z' };
    const reopened = {
      ...reopenedHashed,
      executionId,
      gate,
      runStartedAt: '2026-11-30T07:58:00.000Z',
      status: 'pending' as const,
      summaryHash: summaryHashOf(reopenedHashed),
      requestedAt: '2026-11-30T08:30:00.000Z',
      decisions: [],
      refusals: [refusal],
      reminders: {
        remindAt: '2026-11-30T09:00:00.000Z',
        pageAt: '2026-11-30T09:24:00.000Z',
        reminded: false,
        paged: false,
      },
      startedBy: null,
      delivery: null,
      version: 3,
    };
    expect(updatedItem(updates()[0] ?? {})).toEqual(written(reopened, 'new-token'));
    expect(updates()[0]?.ExpressionAttributeValues).toMatchObject({ ':read': { N: '2' } });
    // a delivery of the earlier decision is no longer this request's
    expect(updates()[0]?.UpdateExpression).toMatch(/ REMOVE #delivered$/);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Message: expect.stringContaining('Asked again: the earlier request was approved.'),
    });
  });

  it('retries (TransientAwsError) when a decision was written between its read and its write, announcing nothing', async () => {
    // Given
    dynamodbMock
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `approval ${approvalId} changed while the gate recorded it`,
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('surfaces throttled DynamoDB as TransientAwsError and announces nothing', async () => {
    // Given
    dynamodbMock.on(GetItemCommand).rejects(throttled());

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB GetItem (approval): ThrottlingException: Rate exceeded',
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
    snsMock.on(PublishCommand).rejects(awsError('Throttling', 'Rate exceeded'));

    // When
    const requested = invoke(requestApproval, event, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'SNS Publish (approval-needed): Throttling: Rate exceeded',
    });
  });

  it('keeps the subject within the 100 characters SNS allows', async () => {
    // When
    await invoke(
      requestApproval,
      { ...event, summary: { ...summary, target: `svc-${'x'.repeat(120)}` } },
      clients,
    );

    // Then
    const subject = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject;
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^Approval needed: svc-x+$/);
  });

  it('sets no reminder where the gate gives no policy', async () => {
    const { reminders: _none, ...withoutPolicy } = event;
    await invoke(requestApproval, withoutPolicy, clients);
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        reminders: { S: '{"remindAt":null,"pageAt":null,"reminded":false,"paged":false}' },
      }),
    });
  });

  it('surfaces a throttled write as TransientAwsError and announces nothing', async () => {
    dynamodbMock.on(PutItemCommand).rejects(throttled());
    await expect(invoke(requestApproval, event, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB PutItem (approval): ThrottlingException: Rate exceeded',
    });
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });

  it('sets no reminder where the policy turns them off', async () => {
    // When
    await invoke(requestApproval, { ...event, reminders: { remindAt: null, pageAt: null } }, clients);

    // Then
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        reminders: { S: '{"remindAt":null,"pageAt":null,"reminded":false,"paged":false}' },
      }),
    });
  });

  it('refuses a rule without approvers as InvalidInput naming the field, touching nothing', async () => {
    // When
    const requested = invoke(requestApproval, { ...event, rule: { ...rule, approvers: [] } }, clients);

    // Then
    await expect(requested).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('rule.approvers'),
    });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });
});
