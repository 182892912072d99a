import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ApprovalRequest,
  approvalIdOf,
  summaryHashOf,
  toItem,
} from '../../../tasks/approvals/request.ts';
import { verifyApproval } from '../../../tasks/approvals/verify-approval.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const clients = testClients();
const table = 'runbook-state';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1';
const gate = 'Wait For Approval';
const approvalId = approvalIdOf(executionId, gate);
const hashed = {
  approvalId,
  summary: {
    procedure: 'production-deployment',
    environment: 'prod',
    target: 'app',
    change: 'image app@sha256:abc',
    from: 'app:41',
    changeRequest: null,
    reason: null,
    requestedBy: 'alice',
    snapshot: null,
  },
  rule: {
    approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/*'],
    required: 2,
    neverApprovers: [],
  },
  expiresAt: '2026-11-30T09:00:00.000Z',
};
const vote = (person: string) => ({
  decision: 'approve' as const,
  arn: `arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/${person}`,
  person,
  at: '2026-11-30T08:20:00.000Z',
  comment: null,
});
const approved: ApprovalRequest = {
  ...hashed,
  executionId,
  gate,
  runStartedAt: '2026-11-30T07:58:00.000Z',
  status: 'approved',
  summaryHash: summaryHashOf(hashed),
  requestedAt: '2026-11-30T08:00:00.000Z',
  decisions: [vote('bob'), vote('carol')],
  refusals: [],
  reminders: { remindAt: null, pageAt: null, reminded: false, paged: false },
  startedBy: 'arn:aws:sts::123456789012:assumed-role/github-actions-deploy/run-42',
  delivery: null,
  version: 3,
};
const output = { decision: 'approved', approver: 'carol', approvalId, summaryHash: approved.summaryHash };
const event = (approval: Record<string, unknown> = output) => ({ table, executionId, gate, approval });
const stored = (r: ApprovalRequest) =>
  dynamodbMock.on(GetItemCommand).resolves({ Item: { ...toItem(r), taskToken: { S: 't' } } });

describe('verify-approval', () => {
  beforeEach(() => {
    dynamodbMock.reset();
  });

  it('accepts the approval the service recorded for this gate of this run', async () => {
    stored(approved);
    await expect(invoke(verifyApproval, event(), clients)).resolves.toEqual({
      approvalId,
      approvers: ['bob', 'carol'],
    });
    expect(dynamodbMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, {
      TableName: table,
      Key: { pk: { S: `approval#${approvalId}` } },
      ConsistentRead: true,
    });
  });

  it.each([
    [
      'a request still pending (a forged SendTaskSuccess)',
      { ...approved, status: 'pending' as const },
      output,
      'is pending',
    ],
    ['a request rejected', { ...approved, status: 'rejected' as const }, output, 'is rejected'],
    [
      'fewer approvals than required',
      { ...approved, decisions: [vote('bob')] },
      output,
      'has 1 of 2 approvals',
    ],
    [
      'a record marked approved whose decisions hold a rejection (a hand-edited table)',
      { ...approved, decisions: [vote('bob'), { ...vote('carol'), decision: 'reject' as const }] },
      output,
      'has 1 of 2 approvals',
    ],
    ['another request named', approved, { ...output, approvalId: 'b'.repeat(20) }, 'names another request'],
    ['another summary named', approved, { ...output, summaryHash: 'f'.repeat(64) }, 'or summary'],
  ])('refuses %s as ApprovalRejected', async (_what, recorded, sent, why) => {
    stored(recorded);
    await expect(invoke(verifyApproval, event(sent), clients)).rejects.toMatchObject({
      name: 'ApprovalRejected',
      message: expect.stringContaining(why),
    });
  });

  it('refuses when no request was recorded for the run', async () => {
    dynamodbMock.on(GetItemCommand).resolves({});
    await expect(invoke(verifyApproval, event(), clients)).rejects.toMatchObject({
      name: 'ApprovalRejected',
      message: expect.stringContaining(`no request ${approvalId} was recorded`),
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    dynamodbMock.on(GetItemCommand).rejects(throttled());
    await expect(invoke(verifyApproval, event(), clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'DynamoDB GetItem (approval): ThrottlingException: Rate exceeded',
    });
  });
});
