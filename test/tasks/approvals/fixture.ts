// One approval request as the gate records it, for the approval tests: pending, its starter known
// (a CI role), its summary hash computed from what it holds. Each test changes what it is about.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type ApprovalRequest,
  type ApprovalRule,
  type ApprovalSummary,
  summaryHashOf,
  toItem,
} from '../../../tasks/approvals/request.ts';

type Changes = Partial<Omit<ApprovalRequest, 'summary' | 'rule' | 'summaryHash'>> & {
  readonly summary?: Partial<ApprovalSummary>;
  readonly rule?: Partial<ApprovalRule>;
};

export function approvalRequest(changes: Changes = {}): ApprovalRequest {
  const { summary, rule, ...rest } = changes;
  const hashed = {
    approvalId: rest.approvalId ?? 'a1b2c3d4e5f6a7b8c9d0',
    summary: {
      procedure: 'production-deployment',
      environment: 'prod',
      target: 'app',
      change: 'image app@sha256:abc',
      from: 'app:41',
      changeRequest: 'CHG-1',
      reason: 'release',
      requestedBy: 'alice',
      snapshot: null,
      ...summary,
    },
    rule: {
      approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/*'],
      required: 1,
      neverApprovers: [],
      ...rule,
    },
    expiresAt: rest.expiresAt ?? '2026-11-30T09:00:00.000Z',
  };
  return {
    executionId: 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1',
    gate: 'Wait For Approval',
    runStartedAt: '2026-11-30T07:58:00.000Z',
    status: 'pending',
    requestedAt: '2026-11-30T08:00:00.000Z',
    decisions: [],
    refusals: [],
    reminders: { remindAt: null, pageAt: null, reminded: false, paged: false },
    startedBy: 'arn:aws:sts::123456789012:assumed-role/github-actions-deploy/run-42',
    delivery: null,
    version: 1,
    ...rest,
    ...hashed,
    summaryHash: summaryHashOf(hashed),
  };
}

/** The attributes an UpdateItem of store.ts's writeRequest sets, as the item they make (`SET #fN = :fN`). */
export function updatedItem(input: {
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [, name, value] of (input.UpdateExpression ?? '').matchAll(/(#f\d+) = (:f\d+)/g))
    item[input.ExpressionAttributeNames?.[name as string] ?? ''] = input.ExpressionAttributeValues?.[
      value as string
    ] as AttributeValue;
  return item;
}

/** What writeRequest writes of a request with its token: every attribute but its key and its refusals (appended apart). */
export function written(r: ApprovalRequest, token = 'token-1'): Record<string, AttributeValue> {
  const { pk: _pk, refusals: _refusals, ...rest } = toItem(r);
  return { ...rest, taskToken: { S: token } };
}
