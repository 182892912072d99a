// The approvals table's writes against the simulated account's DynamoDB, which evaluates the same
// update and condition expressions AWS does: a refused attempt is appended without the request's
// version, so refusals never make a decision lose its race, and a decision never drops a refusal.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { SimulatedAccount } from '../../../rehearsal/account/account.ts';
import { simulatedClients } from '../../../rehearsal/account/clients.ts';
import {
  type ApprovalRequest,
  approvalIdOf,
  fromItem,
  MAX_REFUSALS,
  type Refusal,
  summaryHashOf,
  toItem,
} from '../../../tasks/approvals/request.ts';
import { appendRefusal, readRequest, writeRequest } from '../../../tasks/approvals/store.ts';
import { approvalRequest } from './fixture.ts';

const table = 'runbook-state';
const request = approvalRequest({ version: 1 });
const refusal: Refusal = {
  arn: 'arn:aws:sts::123456789012:assumed-role/Other/mallory',
  at: '2026-11-30T08:05:00.000Z',
  code: 'NotAnApprover',
  message: 'may not decide',
};

function seeded(r: ApprovalRequest = request) {
  const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table });
  account
    .service('dynamodb')
    .putItem({ TableName: table, Item: { ...toItem(r), taskToken: { S: 'token-1' } } });
  return simulatedClients(account, 'us-east-1').dynamodb;
}

describe('the approvals table', () => {
  it('keeps a refusal appended between a decision’s read and its write, and the decision still wins its race', async () => {
    // Given a decision read at version 1, and a refused attempt recorded meanwhile
    const dynamodb = seeded();
    const read = await readRequest(dynamodb, table, request.approvalId);
    expect(await appendRefusal(dynamodb, table, request.approvalId, refusal)).toBe(true);

    // When the decision is written over the version it read
    const approved: ApprovalRequest = { ...request, status: 'approved', version: 2 };
    const won = await writeRequest(dynamodb, table, approved, read?.token ?? '', 1);

    // Then it was not refused, and both are on the request, with its token
    expect(won).toBe(true);
    expect(await readRequest(dynamodb, table, request.approvalId)).toEqual({
      request: { ...approved, refusals: [refusal] },
      token: 'token-1',
    });
  });

  it('reads a request without a token (a hand-edited table) as having none', async () => {
    const account = new SimulatedAccount({ config: loadConfig(), faults: {}, table });
    account.service('dynamodb').putItem({ TableName: table, Item: toItem(request) });
    const dynamodb = simulatedClients(account, 'us-east-1').dynamodb;
    expect(await readRequest(dynamodb, table, request.approvalId)).toEqual({ request, token: '' });
    expect(await readRequest(dynamodb, table, 'unknown')).toBeNull();
  });

  it('refuses a write over a version someone else wrote', async () => {
    const dynamodb = seeded();
    expect(await writeRequest(dynamodb, table, { ...request, version: 2 }, 'token-2', 1)).toBe(true);
    expect(await writeRequest(dynamodb, table, { ...request, version: 2 }, 'token-3', 1)).toBe(false);
    expect((await readRequest(dynamodb, table, request.approvalId))?.token).toBe('token-2');
  });

  it(`keeps at most ${MAX_REFUSALS} refusals on a request, and records none on a request that is not there`, async () => {
    // Given a request that holds all but one
    const many = Array.from({ length: MAX_REFUSALS - 1 }, (_, i) => ({ ...refusal, at: `t${i}` }));
    const dynamodb = seeded({ ...request, refusals: many });

    // When two more come
    const first = await appendRefusal(dynamodb, table, request.approvalId, { ...refusal, at: 'last' });
    const second = await appendRefusal(dynamodb, table, request.approvalId, { ...refusal, at: 'dropped' });

    // Then the first is kept and the second is not (the decision API's log line records it)
    expect([first, second]).toEqual([true, false]);
    const kept = (await readRequest(dynamodb, table, request.approvalId))?.request.refusals ?? [];
    expect(kept).toHaveLength(MAX_REFUSALS);
    expect(kept.at(-1)?.at).toBe('last');
    expect(await appendRefusal(dynamodb, table, 'unknown', refusal)).toBe(false);
  });

  it('clears a delivery when the gate opens the request again, and keeps one once written', async () => {
    const dynamodb = seeded();
    const delivered: ApprovalRequest = {
      ...request,
      status: 'approved',
      delivery: { at: '2026-11-30T08:20:00.000Z', result: 'delivered' },
      version: 2,
    };
    await writeRequest(dynamodb, table, delivered, 'token-1', 1);
    expect((await readRequest(dynamodb, table, request.approvalId))?.request.delivery).toEqual(
      delivered.delivery,
    );
    await writeRequest(dynamodb, table, { ...request, version: 3 }, 'token-2', 2);
    expect((await readRequest(dynamodb, table, request.approvalId))?.request.delivery).toBeNull();
  });
});

describe('a stored request', () => {
  const item = toItem({ ...request, refusals: [refusal], delivery: { at: 'now', result: 'ended' } });

  it('reads back as written', () => {
    expect(fromItem(item)).toEqual({
      ...request,
      refusals: [refusal],
      delivery: { at: 'now', result: 'ended' },
    });
  });

  it('carries flat copies for people and tools that list the table, and is kept 90 days past its expiry', () => {
    expect(item).toMatchObject({
      pk: { S: `approval#${request.approvalId}` },
      target: { S: 'app' },
      procedure: { S: 'production-deployment' },
      environment: { S: 'prod' },
      version: { N: '1' },
      ttl: { N: String(Date.parse(request.expiresAt) / 1000 + 90 * 86400) },
    });
  });

  it('takes a rule without never-approvers as having none', () => {
    const { neverApprovers: _none, ...rule } = request.rule;
    expect(fromItem({ ...item, rule: { S: JSON.stringify(rule) } }).rule.neverApprovers).toEqual([]);
  });

  it.each([
    ['without a status', { status: undefined }],
    ['with an unknown status', { status: { S: 'maybe' } }],
    ['without a version', { version: undefined }],
    ['without its refusals', { refusals: undefined }],
    ['with a refusal that is not one', { refusals: { L: [{ S: '{"arn":"x"}' }] } }],
    ['with a delivery of no known result', { delivery: { S: '{"at":"now","result":"lost"}' } }],
    ['with a rule without approvers', { rule: { S: '{"approvers":[],"required":1}' } }],
    ['with a rule needing no approval', { rule: { S: '{"approvers":["a"],"required":0}' } }],
    [
      'with a decision of no known kind',
      { decisions: { S: '[{"decision":"maybe","arn":"a","person":"p","at":"t","comment":null}]' } },
    ],
    ['without its summary', { summary: undefined }],
    ['without its reminders', { reminders: undefined }],
    [
      'with an empty never-approver pattern',
      { rule: { S: '{"approvers":["a"],"required":1,"neverApprovers":[""]}' } },
    ],
  ])('is refused %s (a hand-edited table), naming the field', (_what, change) => {
    const edited = Object.fromEntries(
      Object.entries({ ...item, ...change }).filter(([, v]) => v !== undefined),
    ) as typeof item;
    const field = Object.keys(change)[0] ?? '';
    expect(() => fromItem(edited)).toThrow(
      expect.objectContaining({ name: 'ZodError', message: expect.stringContaining(`"${field}"`) }),
    );
  });
});

describe('approval ids and summary hashes', () => {
  it('gives each gate of each run an id of its own, the same on every attempt', () => {
    const run = 'arn:aws:states:us-east-1:123456789012:execution:m:run-1';
    const id = approvalIdOf(run, 'Wait For Approval');
    expect(id).toMatch(/^[0-9a-f]{20}$/);
    expect(approvalIdOf(run, 'Wait For Approval')).toBe(id);
    expect(approvalIdOf(run, 'Second Gate')).not.toBe(id);
    expect(approvalIdOf(`${run}-2`, 'Wait For Approval')).not.toBe(id);
  });

  it('hashes the id, summary, rule and expiry as SHA-256 of their canonical JSON', () => {
    const { approvalId, summary, rule, expiresAt } = request;
    const sorted = (o: object) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
    const text = JSON.stringify({
      approvalId,
      expiresAt,
      rule: sorted(rule),
      summary: sorted(summary),
    });
    expect(summaryHashOf(request)).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
