import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { remindApprovals } from '../../../tasks/approvals/remind-approvals.ts';
import { type ApprovalRequest, toItem } from '../../../tasks/approvals/request.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { approvalRequest, updatedItem, written } from './fixture.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const clients = testClients();
const table = 'runbook-state';
const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook';

const request = approvalRequest({
  summary: { changeRequest: null, reason: null },
  rule: { approvers: ['arn:aws:sts::123456789012:assumed-role/Approver/*'], required: 2 },
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1',
  reminders: {
    remindAt: '2026-11-30T08:30:00.000Z',
    pageAt: '2026-11-30T08:54:00.000Z',
    reminded: false,
    paged: false,
  },
  version: 2,
});
const stored = (r: ApprovalRequest) => ({ ...toItem(r), taskToken: { S: 'token-1' } });
const update = () => dynamodbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input ?? {};
const at = (now: string) => invoke(remindApprovals, { table, topicArn, now }, clients);

describe('remind-approvals', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    snsMock.reset();
    dynamodbMock.on(ScanCommand).resolves({ Items: [stored(request)] });
    dynamodbMock.on(UpdateItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({});
    sfnMock.reset();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  });

  it('announces a request again once past its remindAt, and marks it over the version it read', async () => {
    // When
    const result = await at('2026-11-30T08:31:00.000Z');

    // Then
    expect(result).toEqual({ reminded: 1, paged: 0, closed: 0 });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: request.executionId,
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: 'Approval still pending: app in prod (expires in 29 min)',
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'approval-reminder' },
        severity: { DataType: 'String', StringValue: 'warning' },
      },
      Message: expect.stringContaining(`0 of 2 approvals so far.\nApproval id: ${request.approvalId}`),
    });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      TableName: table,
      Key: { pk: { S: `approval#${request.approvalId}` } },
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: expect.objectContaining({ ':read': { N: '2' } }),
    });
    expect(updatedItem(update())).toEqual(
      written({ ...request, reminders: { ...request.reminders, reminded: true }, version: 3 }),
    );
  });

  it('reminds at the very second of its remindAt, counting the approvals so far, in words a person reads', async () => {
    // Given a request one of two approvers approved, whose requester the input did not name
    const half = {
      ...request,
      summary: { ...request.summary, requestedBy: null },
      decisions: [
        {
          decision: 'approve' as const,
          arn: 'arn:x',
          person: 'bob',
          at: '2026-11-30T08:10:00.000Z',
          comment: null,
        },
      ],
    };
    dynamodbMock.on(ScanCommand).resolves({ Items: [stored(half)] });

    // When
    expect(await at('2026-11-30T08:30:00.000Z')).toEqual({ reminded: 1, paged: 0, closed: 0 });

    // Then
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message).toBe(
      [
        'production-deployment of app in prod still waits for approval; it expires at 2026-11-30T09:00:00.000Z (in 30 minutes) and the run then ends without changing anything.',
        'Change: image app@sha256:abc. Requested by: unknown.',
        '1 of 2 approvals so far.',
        `Approval id: ${request.approvalId} (summary ${request.summaryHash.slice(0, 12)}). Decide: runbook approve ${request.approvalId}   or   runbook reject ${request.approvalId} --reason "..."`,
      ].join('\n'),
    );
  });

  it('pages the on-call once past its pageAt, even if the reminder never went out', async () => {
    const result = await at('2026-11-30T08:55:00.000Z');
    expect(result).toEqual({ reminded: 0, paged: 1, closed: 0 });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      MessageAttributes: expect.objectContaining({ severity: { DataType: 'String', StringValue: 'page' } }),
    });
    expect(updatedItem(update())).toMatchObject({
      reminders: { S: JSON.stringify({ ...request.reminders, reminded: true, paged: true }) },
    });
  });

  it.each([
    ['before its remindAt', request, '2026-11-30T08:29:59.000Z'],
    [
      'already reminded, before its pageAt',
      { ...request, reminders: { ...request.reminders, reminded: true } },
      '2026-11-30T08:40:00.000Z',
    ],
    [
      'already paged',
      { ...request, reminders: { ...request.reminders, reminded: true, paged: true } },
      '2026-11-30T08:58:00.000Z',
    ],
    ['expired', request, '2026-11-30T09:00:00.000Z'],
    [
      'with reminders turned off',
      { ...request, reminders: { remindAt: null, pageAt: null, reminded: false, paged: false } },
      '2026-11-30T08:58:00.000Z',
    ],
  ])('does nothing for a request %s', async (_what, r, now) => {
    dynamodbMock.on(ScanCommand).resolves({ Items: [stored(r)] });
    expect(await at(now)).toEqual({ reminded: 0, paged: 0, closed: 0 });
    expect(snsMock).not.toHaveReceivedAnyCommand();
    expect(dynamodbMock).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('keeps going when a decision was written meanwhile: the notice went out, the mark did not', async () => {
    dynamodbMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await at('2026-11-30T08:31:00.000Z')).toEqual({ reminded: 1, paged: 0, closed: 0 });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it.each(['ABORTED', 'TIMED_OUT', 'FAILED'])(
    'closes instead of reminding when the run is %s: nobody is paged about it',
    async (status) => {
      sfnMock.on(DescribeExecutionCommand).resolves({ status: status as never });
      expect(await at('2026-11-30T08:55:00.000Z')).toEqual({ reminded: 0, paged: 0, closed: 1 });
      expect(snsMock).not.toHaveReceivedAnyCommand();
      expect(updatedItem(update())).toEqual(written({ ...request, status: 'expired', version: 3 }));
    },
  );
});
