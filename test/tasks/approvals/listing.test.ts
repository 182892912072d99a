// Listing pending requests through the simulated account's DynamoDB, which reads Scan pages of 10
// items and filters after the read, as AWS does: pages come back short or empty, and every one is read.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { SimulatedAccount } from '../../../rehearsal/account/account.ts';
import { simulatedClients } from '../../../rehearsal/account/clients.ts';
import { listPending } from '../../../tasks/approvals/decisions.ts';
import { identityOf } from '../../../tasks/approvals/identity.ts';
import { type ApprovalRequest, toItem } from '../../../tasks/approvals/request.ts';
import { approvalRequest } from './fixture.ts';

const table = 'runbook-state';
const request = approvalRequest({
  approvalId: 'x',
  summary: { changeRequest: null, reason: null },
  rule: { approvers: ['arn:aws:sts::123456789012:assumed-role/Approver/*'] },
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1',
  version: 0,
});

describe('listing approvals on the simulated account', () => {
  it('lists every pending request across Scan pages that the filter leaves short or empty', async () => {
    // Given 23 pending requests among 12 locks and a closed request
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table });
    const dynamodb = account.service('dynamodb');
    const put = (r: ApprovalRequest) => dynamodb.putItem({ TableName: table, Item: toItem(r) });
    // (the starter of some not yet known: they are listed all the same)
    for (let i = 0; i < 23; i++)
      put({
        ...request,
        approvalId: `p${String(i).padStart(2, '0')}`,
        startedBy: i % 2 ? null : request.startedBy,
      });
    for (let i = 0; i < 12; i++) dynamodb.putItem({ TableName: table, Item: { pk: { S: `ecs:c/s${i}` } } });
    put({ ...request, approvalId: 'done', status: 'approved' });
    const caller = identityOf('arn:aws:sts::123456789012:assumed-role/Approver/bob');
    if (!caller) throw new Error('no identity');

    // When
    const pending = await listPending(
      simulatedClients(account, 'us-east-1'),
      table,
      caller,
      '2026-11-30T08:10:00.000Z',
    );

    // Then all 23, though a single page holds 10 items and the first pages hold locks
    expect(pending).toHaveLength(23);
    const first = dynamodb.scan({ TableName: table });
    expect(first).toMatchObject({ ScannedCount: 10, LastEvaluatedKey: { pk: { S: expect.any(String) } } });
  });
});
