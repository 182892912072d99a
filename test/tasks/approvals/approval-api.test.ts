import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ApiResponse, approvalApi } from '../../../tasks/approvals/approval-api.ts';
import { toItem } from '../../../tasks/approvals/request.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { approvalRequest } from './fixture.ts';

const dynamodbMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
const clients = testClients();

const BOB = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_ab12/bob';
const request = approvalRequest({ expiresAt: '2999-01-01T00:00:00.000Z' });
const TOKEN = 'secret-task-token';
const event = (method: string, resource: string, over: Record<string, unknown> = {}) => ({
  httpMethod: method,
  resource,
  pathParameters: resource.includes('{id}') ? { id: request.approvalId } : null,
  body: null,
  requestContext: { identity: { userArn: BOB } },
  ...over,
});
/** One call through API Gateway's proxy integration. */
const call = async (e: Parameters<typeof approvalApi.run>[0], c: typeof clients) =>
  (await invoke(approvalApi, e, c)) as ApiResponse;
const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe('approval-api', () => {
  beforeEach(() => {
    dynamodbMock.reset();
    sfnMock.reset();
    dynamodbMock.on(GetItemCommand).resolves({ Item: { ...toItem(request), taskToken: { S: TOKEN } } });
    dynamodbMock.on(UpdateItemCommand).resolves({});
    dynamodbMock.on(ScanCommand).resolves({ Items: [{ ...toItem(request), taskToken: { S: TOKEN } }] });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    process.env.RUNBOOK_TABLE = 'runbook-state';
  });
  afterEach(() => {
    delete process.env.RUNBOOK_TABLE;
    vi.restoreAllMocks();
  });

  it('decides as the authenticated caller, whatever the body says, and never shows the task token', async () => {
    // Given a body that claims to be someone else
    const sent = JSON.stringify({ decision: 'approve', summaryHash: request.summaryHash, comment: 'ok' });

    // When
    const response = await call(event('POST', '/approvals/{id}/decision', { body: sent }), clients);

    // Then
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({
      status: 'approved',
      remaining: 0,
      delivery: 'delivered',
      decisions: [{ arn: BOB, person: 'bob', comment: 'ok' }],
    });
    expect(response.body).not.toContain(TOKEN);
    expect(dynamodbMock).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'runbook-state' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('refuses a body with an unknown field (an approver name, say), naming it, before reading anything', async () => {
    const sent = JSON.stringify({ decision: 'approve', summaryHash: request.summaryHash, approver: 'carol' });
    const response = await call(event('POST', '/approvals/{id}/decision', { body: sent }), clients);
    expect(response.statusCode).toBe(400);
    expect(body(response)).toEqual({ error: 'InvalidInput', message: expect.stringContaining('approver') });
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['not JSON', '{', 'the body is not JSON'],
    ['no hash', JSON.stringify({ decision: 'approve' }), 'summaryHash'],
    ['another decision', JSON.stringify({ decision: 'maybe', summaryHash: 'a'.repeat(64) }), 'decision'],
  ])('answers 400 to a body that is %s', async (_what, sent, named) => {
    const response = await call(event('POST', '/approvals/{id}/decision', { body: sent }), clients);
    expect(response.statusCode).toBe(400);
    expect(String(body(response).message)).toContain(named);
  });

  it('answers a refusal with its HTTP status and code, and logs it without the token', async () => {
    // Given the requester deciding
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const alice = BOB.replace('/bob', '/alice');
    const sent = JSON.stringify({ decision: 'approve', summaryHash: request.summaryHash });

    // When
    const response = await call(
      event('POST', '/approvals/{id}/decision', {
        body: sent,
        requestContext: { identity: { userArn: alice } },
      }),
      clients,
    );

    // Then
    expect(response.statusCode).toBe(403);
    expect(body(response)).toMatchObject({ error: 'OwnRequest' });
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]?.[0])).toContain('"refused":"OwnRequest"');
    expect(String(warn.mock.calls[0]?.[0])).not.toContain(TOKEN);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('answers 404 for an unknown request', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    dynamodbMock.on(GetItemCommand).resolves({});
    const response = await call(event('GET', '/approvals/{id}'), clients);
    expect(response.statusCode).toBe(404);
    expect(body(response)).toMatchObject({ error: 'UnknownRequest' });
  });

  it('reads one request without deciding it, saying whether the caller may decide', async () => {
    const response = await call(event('GET', '/approvals/{id}'), clients);
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({
      approvalId: request.approvalId,
      mayDecide: true,
      summaryHash: request.summaryHash,
      refusals: 0,
    });
    expect(response.body).not.toContain(TOKEN);
    expect(dynamodbMock).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('lists the pending requests the caller may decide', async () => {
    const response = await call(event('GET', '/approvals'), clients);
    expect(response.statusCode).toBe(200);
    expect(body(response)).toEqual({
      approvals: [expect.objectContaining({ approvalId: request.approvalId })],
    });
    expect(response.body).not.toContain(TOKEN);
  });

  it.each([
    ['no caller (an unsigned request reaching the function)', null],
    ['a caller that is no user or session', 'arn:aws:iam::123456789012:role/Admin'],
  ])('refuses %s with 403', async (_what, userArn) => {
    const response = await call(
      event('GET', '/approvals', { requestContext: { identity: { userArn } } }),
      clients,
    );
    expect(response.statusCode).toBe(403);
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });

  it('answers JSON that is never cached, and names mayDecide only for the one request read', async () => {
    const one = await call(event('GET', '/approvals/{id}'), clients);
    const listed = await call(event('GET', '/approvals'), clients);
    for (const r of [one, listed])
      expect(r.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(listed).approvals).toEqual([expect.not.objectContaining({ mayDecide: expect.anything() })]);
  });

  it('says why a caller that is no user or session is refused', async () => {
    const response = await call(
      event('GET', '/approvals', { requestContext: { identity: { userArn: null } } }),
      clients,
    );
    expect(body(response)).toEqual({
      error: 'NotAnApprover',
      message: 'the caller is not an IAM user or role session',
    });
  });

  it.each([
    ['text before it', `x${'a'.repeat(64)}`],
    ['text after it', `${'a'.repeat(64)}x`],
    ['capitals', 'A'.repeat(64)],
  ])('answers 400 to a summary hash with %s', async (_what, summaryHash) => {
    const sent = JSON.stringify({ decision: 'approve', summaryHash });
    const response = await call(event('POST', '/approvals/{id}/decision', { body: sent }), clients);
    expect(response.statusCode).toBe(400);
    expect(String(body(response).message)).toContain('must be the 64-hex-digit summary hash of the request');
    expect(dynamodbMock).not.toHaveReceivedAnyCommand();
  });

  it('answers a rejection as a decision too', async () => {
    const sent = JSON.stringify({ decision: 'reject', summaryHash: request.summaryHash, comment: 'freeze' });
    const response = await call(event('POST', '/approvals/{id}/decision', { body: sent }), clients);
    expect(response.statusCode).toBe(200);
    expect(body(response)).toMatchObject({ status: 'rejected', decisions: [{ decision: 'reject' }] });
  });

  it('lets an AWS error that is no refusal fail the call (API Gateway answers 502), not a refusal', async () => {
    dynamodbMock
      .on(GetItemCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(call(event('GET', '/approvals/{id}'), clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('answers 404 for a route it does not serve', async () => {
    const response = await call(event('DELETE', '/approvals/{id}'), clients);
    expect(response).toMatchObject({ statusCode: 404 });
    expect(body(response)).toEqual({ error: 'NotFound', message: 'no route DELETE /approvals/{id}' });
  });

  it('sends decided outcomes that did not reach their run again when its schedule invokes it', async () => {
    // Given one approval recorded, not delivered
    const approved = {
      ...request,
      status: 'approved' as const,
      decisions: [
        { decision: 'approve' as const, arn: BOB, person: 'bob', at: request.requestedAt, comment: null },
      ],
    };
    dynamodbMock.on(ScanCommand).resolves({ Items: [{ ...toItem(approved), taskToken: { S: TOKEN } }] });

    // When
    const result = await invoke(approvalApi, { redeliver: true, now: '2026-11-30T08:20:00Z' }, clients);

    // Then
    expect(result).toEqual({ redelivered: { delivered: 1, ended: 0, failed: 0 } });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: expect.stringContaining('"approver":"bob"'),
    });
    expect(dynamodbMock).toHaveReceivedCommandWith(ScanCommand, { TableName: 'runbook-state' });
  });
});
